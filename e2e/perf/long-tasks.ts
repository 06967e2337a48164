/** The perf scripts' long-task observer (fleet.perf.ts, inspector.perf.ts). */
import type { Page } from '@playwright/test';

/**
 * Collect the page's long tasks from its start: each one's duration (ms) is pushed to
 * `window.__longTasks` (a `PerformanceObserver` on `longtask`, buffered), for the page's next
 * navigations too. Call before `page.goto`.
 */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}
