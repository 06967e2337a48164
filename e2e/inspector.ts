import type { Page } from '@playwright/test';

/**
 * Every row of the virtualised inspector table, by scrolling it from top to bottom and collecting
 * the rows rendered on the way (only the visible ones are in the DOM at any time).
 */
export async function collectInspectorRows(page: Page): Promise<{ id: number; method: string }[]> {
  const table = page.getByTestId('inspector-table');
  await table.evaluate((el) => (el.scrollTop = 0));
  const seen = new Map<number, string>();
  for (let guard = 0; guard < 1000; guard++) {
    const rows = await page
      .getByTestId('inspector-row')
      .evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-id')), e.getAttribute('data-method') ?? ''] as const));
    for (const [id, method] of rows) seen.set(id, method);
    const atEnd = await table.evaluate((el) => {
      const before = el.scrollTop;
      el.scrollTop = before + el.clientHeight * 0.8;
      return el.scrollTop === before;
    });
    if (atEnd) break;
    await page.waitForTimeout(50);
  }
  return [...seen].map(([id, method]) => ({ id, method })).sort((a, b) => a.id - b.id);
}
