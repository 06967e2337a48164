import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const run = (args: string[], input?: string) =>
  execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, '../src/main.ts'), ...args], { input, encoding: 'utf8', cwd: root });

describe('l2scope decode', () => {
  it('prints one JSON object per message of a real capture', () => {
    const file = path.join(root, 'fixtures/lab3.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const out = run(['decode', file])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(lines.length);
    expect(out.every((o) => o.ok)).toBe(true);
    const directed = out.find((o) => o.method === 'add_fdb_entries' && o.target !== 'fanout');
    expect(directed.target).toMatch(/^compute\d$/);
    expect(directed.entries[0]).toEqual({
      network: expect.any(String),
      vni: 649,
      vtep: expect.stringMatching(/^10\.0\.20\./),
      mac: '00:00:00:00:00:00',
      ip: '0.0.0.0',
      flood: true,
    });
    const report = out.find((o) => o.method === 'report_state');
    expect(report.agent).toMatchObject({ binary: 'neutron-linuxbridge-agent', l2_population: true, tunneling_ip: expect.any(String) });
    expect(report.target).toBeNull();
  });

  it('reads stdin and reports bad lines without stopping', () => {
    const good = readFileSync(path.join(root, 'fixtures/lab2.jsonl'), 'utf8').split('\n')[0];
    const badBody = JSON.stringify({
      ts: '2026-11-22T00:00:00Z',
      exchange: 'q-agent-notifier-l2population-update_fanout',
      routingKey: '',
      properties: {},
      body: '{"oslo.version": "2.0"',
    });
    const input = ['not json at all', '', badBody, good].join('\n');
    const out = run(['decode'], input)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.ok)).toEqual([false, false, true]);
    expect(out[0].error).toMatch(/^bad_capture_line: /);
    expect(out[1].error).toMatch(/^invalid_json: /);
  });

  it('exits 1 with --strict when a line failed', () => {
    expect(() => run(['decode', '--strict'], 'garbage\n')).toThrow();
  });
});
