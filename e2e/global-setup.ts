/** Playwright's global setup: sign the e2e user in once and save the browser state (auth.ts). */
import { signInOnce } from './auth';

export default async function globalSetup(): Promise<void> {
  await signInOnce();
}
