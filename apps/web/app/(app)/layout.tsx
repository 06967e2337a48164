import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { AppProviders } from '@/components/AppProviders';
import { SessionUserProvider } from '@/components/SessionUser';
import { currentUser, safeNext } from '@/server/auth';

/**
 * Every dashboard page: without a session (and without `L2SCOPE_ANONYMOUS_READ=1`) it redirects
 * to `/login?next=<this page>` (the path comes from `proxy.ts`). With one, the providers (and the
 * live socket) persist across client-side navigation between pages. docs/auth.md
 */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) {
    const next = safeNext((await headers()).get('x-l2scope-path'));
    redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
  }
  return (
    <SessionUserProvider user={{ name: user.username ?? user.name, role: user.role, anonymous: user.anonymous }}>
      <AppProviders>{children}</AppProviders>
    </SessionUserProvider>
  );
}
