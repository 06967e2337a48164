/**
 * The step-up before a toggle is applied (docs/auth.md#step-up): when the session's sign-in is
 * older than {@link STEP_UP_MAX_AGE_MS}, the user's password is asked again and checked by Better
 * Auth. A refusal is a FORBIDDEN whose `data.reason` is `STEP_UP_REQUIRED`: the dashboard then
 * shows a password prompt and retries; the CLI reads `L2SCOPE_PASSWORD` or asks on its terminal.
 */
import { TRPCError } from '@trpc/server';
import type { SessionUser } from '@l2scope/auth';
import { ReasonError } from '../trpc';

/** How recent a sign-in must be to approve a toggle without the password: 5 minutes. */
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;

/**
 * Whether the password must be asked: the sign-in time is unknown, older than `maxAgeMs`, or in
 * the future by more than a minute (a clock that cannot be trusted).
 * @param signedInAt the session's creation (`SessionUser.signedInAt`)
 * @param now epoch ms
 */
export function stepUpNeeded(signedInAt: Date | undefined, now: number, maxAgeMs = STEP_UP_MAX_AGE_MS): boolean {
  if (!signedInAt) return true;
  const age = now - signedInAt.getTime();
  return !(age <= maxAgeMs && age >= -60_000);
}

/**
 * Pass when the sign-in is recent, or `password` is the user's (checked by `verify`).
 * @returns `'recent'` or `'password'`: how the step-up passed
 * @throws TRPCError FORBIDDEN with cause {@link ReasonError} `STEP_UP_REQUIRED` (message says whether the password was missing or wrong)
 */
export async function requireStepUp(
  user: SessionUser,
  password: string | undefined,
  verify: ((password: string) => Promise<boolean>) | undefined,
  now = Date.now(),
): Promise<'recent' | 'password'> {
  if (!stepUpNeeded(user.signedInAt, now)) return 'recent';
  const fail = (message: string) => new TRPCError({ code: 'FORBIDDEN', message, cause: new ReasonError('STEP_UP_REQUIRED', message) });
  if (!password) throw fail('your sign-in is older than 5 minutes: enter your password again');
  if (!verify || !(await verify(password))) throw fail('wrong password');
  return 'password';
}
