import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { currentUser, getAuth, safeNext } from '@/server/auth';

export const metadata: Metadata = { title: 'Sign in — l2scope' };

/** The sign-in page: back to `next` (a path of this site) once signed in, or at once when already signed in. */
export default async function Page({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNext((await searchParams).next);
  const user = await currentUser();
  if (user && !user.anonymous) redirect(next);
  const oidc = (await getAuth()).config.oidc;
  return <LoginForm next={next} oidcLabel={oidc?.label ?? null} />;
}
