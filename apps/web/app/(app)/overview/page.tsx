import type { Metadata } from 'next';
import { OverviewPage } from '@/components/host-view/OverviewPage';

export const metadata: Metadata = { title: 'Cloud overview — l2scope' };

/** The cloud overview: drift by class, findings, hosts, convergence. */
export default function Page() {
  return <OverviewPage />;
}
