import { connection } from 'next/server';
import { Dashboard } from '@/components/Dashboard';
import { liveConfigFromEnv } from '@/lib/live-config';

/** The dashboard. Rendered per request so the live endpoint comes from the running server's environment. */
export default async function Page() {
  await connection();
  return <Dashboard live={liveConfigFromEnv()} />;
}
