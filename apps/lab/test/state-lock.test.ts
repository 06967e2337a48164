import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TSX_LOADER } from '../src/neutron-agent';
import { emptyState, type LabState } from '../src/state';

const root = mkdtempSync(path.join(os.tmpdir(), 'l2scope-lab-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bump = (n: number) =>
  execa(process.execPath, ['--import', TSX_LOADER, path.join(import.meta.dirname, 'fixtures/state-bump.ts'), String(n)], {
    env: { L2SCOPE_LAB_ROOT: root },
    all: true,
    reject: false,
  });

describe("the lab state's lock", () => {
  it('loses no update when several lab processes edit the state at once', async () => {
    writeFileSync(path.join(root, 'state.json'), JSON.stringify(emptyState('amqp://guest:guest@127.0.0.1:5672/', 649)));
    const runs = await Promise.all([bump(15), bump(15), bump(15), bump(15)]);
    for (const r of runs) expect(r.exitCode, r.all).toBe(0);
    const s = JSON.parse(readFileSync(path.join(root, 'state.json'), 'utf8')) as LabState;
    expect(s.vmSeq.bumps).toBe(60);
  }, 120_000);
});
