/**
 * Better Auth's routes (`/api/auth/*`): sign-in (username or e-mail + password, rate-limited),
 * sign-out, get-session and, when configured, the OIDC sign-in and callback (docs/auth.md).
 */
import { getAuth } from '@/server/auth';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

async function handler(req: Request): Promise<Response> {
  return (await getAuth()).handler(req);
}

export { handler as GET, handler as POST };
