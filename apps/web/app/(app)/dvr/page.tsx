import type { Metadata } from 'next';
import { DvrPage } from '@/components/dvr/DvrPage';

export const metadata: Metadata = { title: 'DVR — l2scope' };

/** Distributed routing: DVR MACs announced vs installed, static ARP announced vs held, findings (docs/dvr.md). */
export default function Page() {
  return <DvrPage />;
}
