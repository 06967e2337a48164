import { Dashboard } from '@/components/Dashboard';

/** The dashboard: live topology and message inspector. */
export default function Page() {
  return <Dashboard />;
}
