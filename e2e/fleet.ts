/**
 * Fleet captures for the fleet view's tests and performance script: bench/fleet-capture.ts's
 * synthetic fleet written to a temporary file the worker replays, and helpers to read the sigma
 * canvas (whose points are not DOM nodes) through the page's `window.l2scopeFleet` probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { type FleetCaptureOptions, writeFleetCapture } from '../bench/fleet-capture';

/** A fleet capture in a fresh temporary directory; `remove()` deletes it. */
export function fleetCapture(o: FleetCaptureOptions): { file: string; messages: number; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-fleet-'));
  const file = path.join(dir, 'fleet.jsonl');
  const messages = writeFleetCapture(file, o);
  return { file, messages, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Where the fleet view draws `node` (a host id, or `group:<key>`), in page coordinates, once the
 * camera has stopped (a wheel zoom animates); null when not drawn.
 */
export async function fleetPoint(page: Page, node: string): Promise<{ x: number; y: number } | null> {
  await page.waitForFunction(() => !window.l2scopeFleet?.moving());
  return page.evaluate((n) => window.l2scopeFleet?.viewportOf(n) ?? null, node);
}

declare global {
  interface Window {
    l2scopeFleet?: { viewportOf(node: string): { x: number; y: number } | null; hosts(): string[]; moving(): boolean };
  }
}
