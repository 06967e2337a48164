import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * The documentation's screenshots (`npm run screenshots`, not part of `npm test`): e2e/shots/*.shots.ts,
 * the same Debian Chromium and signed-in state as the e2e suite, one worker, no retries.
 */
export default defineConfig({
  ...base,
  testDir: './shots',
  testMatch: '*.shots.ts',
  timeout: 300_000,
});
