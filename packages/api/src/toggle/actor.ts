/** Who a mutation is by, as the audit log and the jobs record it. */
import type { SessionUser } from '@l2scope/auth';

/** The user's sign-in name (username, else e-mail, else id): `requestedBy`, `approvedBy`, the audit's `actor`. */
export function actorOf(user: SessionUser): string {
  return user.username ?? user.email ?? user.id;
}
