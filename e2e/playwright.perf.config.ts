import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * The web's performance script (`npm run perf`, not part of `npm test`): e2e/perf/*.perf.ts, the
 * same Debian Chromium and signed-in state as the e2e suite, one worker, no retries.
 *
 * No Playwright trace: recording one snapshots the whole DOM in the page before and after every
 * action (each mouse move and wheel step of the pan/zoom), on the page's main thread: measured,
 * 9.6 s of the 1,000-host page's 39 s of pan/zoom were the tracer's, counted as the page's long tasks.
 */
export default defineConfig({
  ...base,
  use: { ...base.use, trace: 'off' },
  testDir: './perf',
  testMatch: '*.perf.ts',
  timeout: 600_000,
  expect: { timeout: 180_000 },
});
