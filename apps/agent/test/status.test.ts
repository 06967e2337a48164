/**
 * `--status-file` and the agent image's health probe: the status writer (atomic, serialised,
 * failures logged and survived, a stale file removed on start) and `docker/agent-healthcheck.mjs`
 * run as a real process on files the writer produced: fresh, stale, missing, never confirmed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentOptions, type CliOptions } from '../src/options';
import { AGENT_STATUS_SCHEMA, type AgentStatus, type BumState, StatusFile, writeStatusFile } from '../src/status';
import { REPO_ROOT } from './netns';

const HEALTHCHECK = path.join(REPO_ROOT, 'docker/agent-healthcheck.mjs');
const capturing: BumState = { state: 'capturing', reason: null, iface: 'ul0' };

/** Run the health probe as the image does (file and threshold named by variables). */
function probe(env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HEALTHCHECK, 'L2SCOPE_AGENT_STATUS_FILE', 'L2SCOPE_AGENT_STALE_AFTER_S', '90'],
      { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('status file', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'l2sa-status-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as AgentStatus;

  it('records each confirmed snapshot and BUM report, the broker state, and leaves no temporary file', async () => {
    const file = path.join(dir, 'a', 'status.json'); // the directory is created
    let now = Date.parse('2026-11-22T10:00:00Z');
    const s = new StatusFile(
      file,
      { host: 'compute1', instance: 'abc', intervalS: 30 },
      () => {},
      () => now,
    );
    await s.connection(false, { state: 'starting', reason: null, iface: null });
    expect(read(file)).toMatchObject({
      schema: AGENT_STATUS_SCHEMA,
      host: 'compute1',
      instance: 'abc',
      pid: process.pid,
      intervalS: 30,
      brokerConnected: false,
      lastConfirmedAt: null,
      seq: null,
      bum: { state: 'starting' },
    });
    now += 1000;
    await s.snapshotConfirmed('full', 1, capturing);
    now += 2000;
    await s.bumConfirmed(capturing);
    now += 2000;
    await s.snapshotConfirmed('delta', 2, { state: 'unavailable', reason: 'tcpdump missing', iface: 'ul0' });
    expect(read(file)).toEqual({
      schema: 'l2scope.agent-status/1',
      host: 'compute1',
      instance: 'abc',
      pid: process.pid,
      intervalS: 30,
      startedAt: '2026-11-22T10:00:00.000Z',
      writtenAt: '2026-11-22T10:00:05.000Z',
      brokerConnected: true,
      lastConfirmedAt: '2026-11-22T10:00:05.000Z',
      seq: 2,
      kind: 'delta',
      lastFullConfirmedAt: '2026-11-22T10:00:01.000Z',
      bum: { state: 'unavailable', reason: 'tcpdump missing', iface: 'ul0', lastConfirmedAt: '2026-11-22T10:00:03.000Z' },
    });
    await s.connection(false, capturing);
    expect(read(file)).toMatchObject({ brokerConnected: false, lastConfirmedAt: '2026-11-22T10:00:05.000Z', seq: 2 });
    expect(readdirSync(path.dirname(file))).toEqual(['status.json']);
  });

  it('is replaced atomically: a reader never sees a partial file while writes race', async () => {
    const file = path.join(dir, 'race.json');
    const s = new StatusFile(file, { host: 'h'.repeat(2000), instance: 'i', intervalS: 30 }, () => {});
    await s.snapshotConfirmed('full', 0, capturing);
    let reads = 0;
    let writing = true;
    const writes = (async () => {
      for (let seq = 1; seq <= 200; seq++) void s.snapshotConfirmed('delta', seq, capturing);
      await s.write();
      writing = false;
    })();
    while (writing) {
      expect(read(file).host).toHaveLength(2000); // throws on a torn read
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await writes;
    expect(reads).toBeGreaterThan(0);
    expect(read(file).seq).toBe(200); // serialised: the newest state wins
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('reset removes a file left by an earlier process', async () => {
    const file = path.join(dir, 'old.json');
    writeFileSync(file, '{"schema":"l2scope.agent-status/1","lastConfirmedAt":"2020-01-01T00:00:00Z"}');
    await new StatusFile(file, { host: 'h', instance: 'i', intervalS: 30 }, () => {}).reset();
    expect(existsSync(file)).toBe(false);
    await new StatusFile(file, { host: 'h', instance: 'i', intervalS: 30 }, () => {}).reset(); // missing is fine
  });

  it('a write that fails is logged once per distinct error and never throws', async () => {
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    const lines: string[] = [];
    const s = new StatusFile(path.join(dir, 'not-a-dir', 'status.json'), { host: 'h', instance: 'i', intervalS: 30 }, (l) => lines.push(l));
    await s.snapshotConfirmed('full', 1, capturing);
    await s.snapshotConfirmed('delta', 2, capturing);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^status: cannot write .*not-a-dir\/status\.json: .*(ENOTDIR|EEXIST)/);
    await expect(writeStatusFile(path.join(dir, 'not-a-dir', 'x.json'), s.current)).rejects.toThrow();
  });
});

describe('docker/agent-healthcheck.mjs on status files the agent wrote', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'l2sa-health-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A status file whose last confirmed snapshot is `ageS` seconds old. */
  const written = async (name: string, ageS: number, intervalS = 30) => {
    const file = path.join(dir, name);
    const s = new StatusFile(
      file,
      { host: 'compute1', instance: 'abc', intervalS },
      () => {},
      () => Date.now() - ageS * 1000,
    );
    await s.snapshotConfirmed('full', 3, capturing);
    return file;
  };

  it('fresh: exit 0, one line saying how old and what state', async () => {
    const r = await probe({ L2SCOPE_AGENT_STATUS_FILE: await written('fresh.json', 10), L2SCOPE_AGENT_STALE_AFTER_S: '90' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('agent-healthcheck: last confirmed snapshot 10 s ago (limit 90 s): seq 3, broker connected, bum capturing');
  });

  it('stale: exit 1 past the threshold; 3 x the recorded --interval when that is longer', async () => {
    const stale = await probe({ L2SCOPE_AGENT_STATUS_FILE: await written('stale.json', 120), L2SCOPE_AGENT_STALE_AFTER_S: '90' });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/last confirmed snapshot 120 s ago \(limit 90 s\)/);
    // the default threshold applies when the variable is unset
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: await written('stale2.json', 95) })).code).toBe(1);
    // --interval 60: 120 s is only two missed fulls
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: await written('slow.json', 120, 60), L2SCOPE_AGENT_STALE_AFTER_S: '90' })).code).toBe(0);
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: await written('slow2.json', 190, 60), L2SCOPE_AGENT_STALE_AFTER_S: '90' })).code).toBe(1);
  });

  it('missing, never confirmed, not a status file, not configured, bad threshold: exit 1', async () => {
    const missing = await probe({ L2SCOPE_AGENT_STATUS_FILE: path.join(dir, 'none.json') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist (no publish confirmed yet)');
    // disconnected before the first confirm: the file exists but says nothing was confirmed
    const unconfirmed = path.join(dir, 'unconfirmed.json');
    await new StatusFile(unconfirmed, { host: 'h', instance: 'i', intervalS: 30 }, () => {}).connection(false, capturing);
    const never = await probe({ L2SCOPE_AGENT_STATUS_FILE: unconfirmed });
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('no snapshot confirmed by the broker yet');
    writeFileSync(path.join(dir, 'torn.json'), '{"schema":"l2scope.agent-status/1","lastConf');
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: path.join(dir, 'torn.json') })).stderr).toContain('unreadable');
    writeFileSync(path.join(dir, 'other.json'), '{"lastConfirmedAt":"2999-01-01T00:00:00Z"}');
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: path.join(dir, 'other.json') })).code).toBe(1);
    const none = await probe({});
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('L2SCOPE_AGENT_STATUS_FILE is not set');
    const fresh = await written('fresh2.json', 1);
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: fresh, L2SCOPE_AGENT_STALE_AFTER_S: '-5' })).code).toBe(1);
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: fresh, L2SCOPE_AGENT_STALE_AFTER_S: 'x' })).stderr).toContain('invalid maximum age');
  });
});

describe('--status-file option', () => {
  const base: CliOptions = { host: 'h', interval: '30', ini: [], type: 'auto', bum: true, bumInterval: '5', bumBudget: '20000' };
  it('defaults to env L2SCOPE_AGENT_STATUS_FILE; the flag wins; empty or unset = none; a directory is refused', () => {
    expect(parseAgentOptions(base, {}, () => {}).config.statusFile).toBeUndefined();
    expect(parseAgentOptions(base, { L2SCOPE_AGENT_STATUS_FILE: '' }, () => {}).config.statusFile).toBeUndefined();
    expect(parseAgentOptions(base, { L2SCOPE_AGENT_STATUS_FILE: '/tmp/s.json' }, () => {}).config.statusFile).toBe('/tmp/s.json');
    expect(parseAgentOptions({ ...base, statusFile: '/run/a.json' }, { L2SCOPE_AGENT_STATUS_FILE: '/tmp/s.json' }, () => {}).config.statusFile).toBe(
      '/run/a.json',
    );
    expect(() => parseAgentOptions({ ...base, statusFile: '/tmp/' }, {}, () => {})).toThrow(/--status-file/);
  });
});
