import type { Metadata } from 'next';
import { AuditPage } from '@/components/toggle/AuditPage';

export const metadata: Metadata = { title: 'Audit — l2scope' };

/** The toggle jobs and the hash-chained audit log (operators and admins). */
export default function Page() {
  return <AuditPage />;
}
