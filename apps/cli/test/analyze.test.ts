/**
 * `l2scope analyze` end to end on the real captures and snapshot directories in fixtures/, and on
 * copies of them with faults injected (temp directories).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const fixtures = path.join(root, 'fixtures');

interface Out {
  hosts: Record<
    string,
    {
      mode: { l2pop: string; summary: string; vxlanGroups: string[]; agentType: string };
      drift: { class: string; network: string; mac: string | null; ip: string | null; vtep: string | null }[];
      foreignMacs: { class: string; network: string; mac: string; ip: string | null; vtep: string | null }[];
      flood: Record<string, { actual: string[]; ideal: string[]; excess: string[]; missing: string[] }>;
      agent?: { alive: boolean; lastReportAt: string; downSince?: string } | null;
    }
  >;
  findings: { kind: string; network: string; hosts: string[]; detail: string }[];
  input: { messages: { applied: number; afterUntil: number }; until: string | null; snapshots: { hosts: string[] } };
}

function run(args: string[]): { status: number; out: string; err: string } {
  try {
    const out = execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, '../src/main.ts'), ...args], {
      encoding: 'utf8',
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, out, err: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { status: x.status, out: x.stdout, err: x.stderr };
  }
}

/** Epoch seconds of `snapshot <step>` in a scenario's events.tsv, as the text the CLI gets. */
function stepTime(scenario: string, step: string): string {
  const line = readFileSync(path.join(fixtures, scenario, 'events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith(`\tsnapshot ${step}`));
  if (!line) throw new Error(`no ${step} in ${scenario}`);
  return line.split('\t')[0]!;
}

function analyze(scenario: string, step: string, dir = path.join(fixtures, scenario, step), extra: string[] = []): Out {
  const r = run(['analyze', '--messages', path.join(fixtures, `${scenario}.jsonl`), '--snapshots', dir, '--until', stepTime(scenario, step), ...extra]);
  if (r.status !== 0) throw new Error(`analyze exited ${r.status}: ${r.err}`);
  return JSON.parse(r.out) as Out;
}

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** A copy of a real snapshot directory, edited by `edit(dir)`. */
function copyOf(scenario: string, step: string, edit: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-analyze-'));
  tmp.push(dir);
  cpSync(path.join(fixtures, scenario, step), dir, { recursive: true });
  edit(dir);
  return dir;
}

function editJson(dir: string, file: string, f: (rows: Record<string, unknown>[]) => Record<string, unknown>[] | void): void {
  const p = path.join(dir, file);
  const rows = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>[];
  writeFileSync(p, JSON.stringify(f(rows) ?? rows));
}

const HOSTS = ['compute1', 'compute2', 'controller'];
const drift = (o: Out, h: string) => o.hosts[h]!.drift.map((d) => `${d.class} ${d.mac} ${d.ip} ${d.vtep}`);

// each case spawns the CLI (tsx start-up is about 0.7 s): allow for a loaded machine
describe('l2scope analyze', { timeout: 30_000 }, () => {
  it.each([
    ['lab2', '2-after-ping'],
    ['lab2', '5-after-delete-compute2'],
    ['lab3', '1-ports-active'],
    ['lab3', '4-after-ip-change'],
  ])("%s %s: the issue's JSON shape, zero drift on every host", (lab, step) => {
    const o = analyze(lab, step);
    expect(Object.keys(o).sort()).toEqual(['findings', 'hosts', 'input']);
    expect(Object.keys(o.hosts)).toEqual(HOSTS);
    for (const h of HOSTS) {
      expect(Object.keys(o.hosts[h]!).sort()).toEqual(['agent', 'drift', 'flood', 'foreignMacs', 'mode', 'snapshot']);
      expect(o.hosts[h]!.agent!.alive).toBe(true);
      expect(o.hosts[h]!.foreignMacs).toEqual([]);
      expect(o.hosts[h]!.drift).toEqual([]);
      expect(o.hosts[h]!.mode.l2pop).toBe('on');
      for (const f of Object.values(o.hosts[h]!.flood)) expect(f).toMatchObject({ actual: f.ideal, excess: [], missing: [] });
    }
    expect(o.findings).toEqual([]);
    expect(o.input.messages.afterUntil).toBeGreaterThan(0);
  });

  it('lab1: flood-and-learn with multicast group 224.0.0.1 on every host; only learned_only, no missing_*', () => {
    const o = analyze('lab1', '2-after-ping');
    for (const h of HOSTS) {
      expect(o.hosts[h]!.mode).toMatchObject({ l2pop: 'off', summary: 'flood-and-learn (multicast group 224.0.0.1)', vxlanGroups: ['224.0.0.1'] });
      expect(o.hosts[h]!.drift.map((d) => d.class)).toEqual(['learned_only', 'learned_only']);
      expect(Object.values(o.hosts[h]!.flood)[0]).toMatchObject({ actual: ['224.0.0.1'], missing: [] });
    }
    expect(o.findings).toEqual([]);
  });

  it('--until: only messages up to it count (ISO-8601 as well as epoch seconds)', () => {
    const iso = new Date(Number.parseFloat(stepTime('lab2', '2-after-ping')) * 1000).toISOString();
    const r = run([
      'analyze',
      '--messages',
      path.join(fixtures, 'lab2.jsonl'),
      '--snapshots',
      path.join(fixtures, 'lab2', '2-after-ping'),
      '--until',
      iso,
      '--compact',
    ]);
    const o = JSON.parse(r.out) as Out;
    expect(o.input.until).toBe(iso);
    expect(Object.values(o.hosts).every((h) => h.drift.length === 0)).toBe(true);
    // the whole capture (VMs deleted later) against the step-2 kernels: every l2pop row is stale
    const all = JSON.parse(
      run(['analyze', '--messages', path.join(fixtures, 'lab2.jsonl'), '--snapshots', path.join(fixtures, 'lab2', '2-after-ping')]).out,
    ) as Out;
    expect(all.input.until).toBeNull();
    expect(all.hosts.controller!.drift.map((d) => d.class).sort()).toEqual(['stale_entry', 'stale_entry', 'stale_entry', 'stale_entry']);
  });

  describe('faults injected into copies of real snapshots', () => {
    it('flood row deleted -> missing_flood; stale MAC added -> stale_entry; MAC pointed elsewhere -> wrong_vtep', () => {
      const dir = copyOf('lab2', '2-after-ping', (d) =>
        editJson(d, 'controller-bridge-fdb.json', (rows) => {
          const out = rows.filter((r) => !(r.mac === '00:00:00:00:00:00' && r.dst === '10.0.20.12'));
          out.push({ mac: 'fa:16:3e:de:ad:00', ifname: 'vxlan-649', dst: '10.0.20.13', flags: ['self'], state: 'permanent' });
          for (const r of out) if (r.mac === 'fa:16:3e:b4:2c:fc' && r.dst) r.dst = '10.0.20.12';
          return out;
        }),
      );
      const o = analyze('lab2', '2-after-ping', dir);
      expect(drift(o, 'controller')).toEqual([
        'missing_flood 00:00:00:00:00:00 null 10.0.20.12',
        'stale_entry fa:16:3e:de:ad:00 null 10.0.20.13',
        'wrong_vtep fa:16:3e:b4:2c:fc 172.16.1.13 10.0.20.12',
      ]);
      expect(Object.values(o.hosts.controller!.flood)[0]).toMatchObject({ actual: ['10.0.20.13'], missing: ['10.0.20.12'] });
      expect(drift(o, 'compute1')).toEqual([]);
    });

    it('lab3: PERMANENT neighbour deleted -> neigh_missing; a wrong one added -> neigh_stale', () => {
      const dir = copyOf('lab3', '2-after-ping', (d) =>
        editJson(d, 'controller-ip-neigh.json', (rows) => {
          const out = rows.filter((r) => r.dst !== '172.16.1.12');
          out.push({ dst: '172.16.1.50', dev: 'vxlan-649', lladdr: 'fa:16:3e:00:00:50', state: ['PERMANENT'] });
          return out;
        }),
      );
      expect(drift(analyze('lab3', '2-after-ping', dir), 'controller')).toEqual([
        'neigh_missing fa:16:3e:82:2d:00 172.16.1.12 null',
        'neigh_stale fa:16:3e:00:00:50 172.16.1.50 null',
      ]);
    });

    it('learned rows for a host with l2pop on -> a foreign MAC, not drift', () => {
      const dir = copyOf('lab2', '1-ports-active', (d) =>
        editJson(d, 'compute2-bridge-fdb.json', (rows) => {
          rows.push({ mac: 'fa:16:3e:00:00:77', ifname: 'vxlan-649', dst: '10.0.20.11', flags: ['self'], state: '' });
        }),
      );
      const o = analyze('lab2', '1-ports-active', dir);
      expect(drift(o, 'compute2')).toEqual([]);
      expect(o.hosts.compute2!.foreignMacs.map((d) => `${d.class} ${d.mac} ${d.ip} ${d.vtep}`)).toEqual(['foreign_mac fa:16:3e:00:00:77 null 10.0.20.11']);
    });

    it('group still set next to l2pop rows -> half_switched_vxlan', () => {
      const dir = copyOf('lab3', '1-ports-active', (d) =>
        editJson(d, 'compute2-ip-link-vxlan.json', (links) => {
          (links[0]!.linkinfo as { info_data: Record<string, unknown> }).info_data.group = '224.0.0.1';
        }),
      );
      const o = analyze('lab3', '1-ports-active', dir);
      expect(o.findings.map((f) => [f.kind, f.hosts])).toEqual([['half_switched_vxlan', ['compute2']]]);
      expect(Object.values(o.hosts.compute2!.flood)[0]!.excess).toEqual(['224.0.0.1']);
    });

    it('arp_responder mixed across hosts -> mixed_arp_responder with the hosts named', () => {
      const dir = copyOf('lab2', '1-ports-active', (d) =>
        editJson(d, 'controller-ip-link-vxlan.json', (links) => {
          (links[0]!.linkinfo as { info_data: Record<string, unknown> }).info_data.proxy = true;
        }),
      );
      const o = analyze('lab2', '1-ports-active', dir);
      expect(o.findings.map((f) => [f.kind, f.hosts])).toEqual([['mixed_arp_responder', HOSTS]]);
      expect(o.findings[0]!.detail).toMatch(/^ARP responder on: controller; off: compute1, compute2\./);
    });

    it('dstport differing -> udp_port_mismatch', () => {
      const dir = copyOf('lab2', '1-ports-active', (d) =>
        editJson(d, 'compute2-ip-link-vxlan.json', (links) => {
          (links[0]!.linkinfo as { info_data: Record<string, unknown> }).info_data.port = 4789;
        }),
      );
      const o = analyze('lab2', '1-ports-active', dir);
      expect(o.findings.map((f) => [f.kind, f.hosts])).toEqual([['udp_port_mismatch', HOSTS]]);
    });
  });

  describe('real lab captures', () => {
    it('switch-noclean: half_switched_vxlan on every host after the in-place switch, cleared by the clean switch', () => {
      expect(analyze('switch-noclean', '3-inplace-switched').findings.map((f) => [f.kind, f.hosts])).toEqual([['half_switched_vxlan', HOSTS]]);
      expect(analyze('switch-noclean', '5-clean-lab3').findings).toEqual([]);
    });

    it('faults: a deleted responder entry is neigh_missing, cleared when undone', () => {
      expect(drift(analyze('faults', '5-fault-neigh-deleted'), 'controller')).toEqual(['neigh_missing fa:16:3e:65:c3:74 172.16.1.12 null']);
      expect(drift(analyze('faults', '6-undone-neigh'), 'controller')).toEqual([]);
    });

    it('mixed: mixed_arp_responder and mixed_l2pop with the hosts named', () => {
      expect(analyze('mixed', '1-mixed-ports-active').findings.map((f) => [f.kind, f.hosts])).toEqual([
        ['mixed_arp_responder', HOSTS],
        ['mixed_l2pop', HOSTS],
      ]);
    });

    it("ovs-node: ovs1's br-tun parsed into the same model; its flood list = the Linux bridge VTEPs", () => {
      const o = analyze('ovs-node', '3-lab3');
      expect(o.hosts.ovs1!.mode).toMatchObject({ agentType: 'openvswitch', l2pop: 'on' });
      expect(Object.values(o.hosts.ovs1!.flood)[0]).toMatchObject({ actual: ['10.0.20.11', '10.0.20.12', '10.0.20.13'], excess: [], missing: [] });
      expect(Object.values(o.hosts).every((h) => h.drift.length === 0)).toBe(true);
      expect(o.findings).toEqual([]);
    });

    it('ovs-try: the flood list of ovs1 from its table 22 = the three Linux bridge VTEPs', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-ovs-try-'));
      tmp.push(dir);
      for (const f of ['ovs1-flows-br-tun.txt', 'ovs1-ovs-vsctl-show.txt']) cpSync(path.join(fixtures, 'ovs-try', f), path.join(dir, f));
      cpSync(path.join(fixtures, 'ovs-try', 'openvswitch_agent.ini'), path.join(dir, 'ovs1-agent.ini'));
      const r = run(['analyze', '--messages', path.join(fixtures, 'ovs-try.jsonl'), '--snapshots', dir, '--no-evidence']);
      const o = JSON.parse(r.out) as Out;
      expect(Object.values(o.hosts.ovs1!.flood)[0]).toMatchObject({
        actual: ['10.0.20.11', '10.0.20.12', '10.0.20.13'],
        ideal: ['10.0.20.11', '10.0.20.12', '10.0.20.13'],
        excess: [],
        missing: [],
      });
      expect(o.hosts.ovs1!.drift).toEqual([]);
      expect(JSON.stringify(o)).not.toContain('"evidence"');
    });
  });

  it('--fail-on-drift exits 1 when there is drift; bad input exits 2', () => {
    const args = [
      'analyze',
      '--messages',
      path.join(fixtures, 'faults.jsonl'),
      '--snapshots',
      path.join(fixtures, 'faults', '1-fault-flood-deleted'),
      '--until',
      stepTime('faults', '1-fault-flood-deleted'),
      '--fail-on-drift',
    ];
    expect(run(args).status).toBe(1);
    expect(run(['analyze', '--messages', '/nonexistent.jsonl', '--snapshots', fixtures]).status).toBe(2);
    const bad = run([
      'analyze',
      '--messages',
      path.join(fixtures, 'lab2.jsonl'),
      '--snapshots',
      path.join(fixtures, 'lab2', '1-ports-active'),
      '--until',
      'yesterday',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/not a time/);
  });

  it('prints hosts.<host>.agent.alive and lastReportAt as of --until, and agent_down past agent_down_time', () => {
    const until = stepTime('lab3', '1-ports-active');
    const o = analyze('lab3', '1-ports-active');
    const last = o.hosts.compute1!.agent!.lastReportAt;
    expect(Date.parse(last)).toBeLessThanOrEqual(Number(until) * 1000);
    // a 1 s agent_down_time: every host whose last report_state is older than 1 s at --until is down
    const down = analyze('lab3', '1-ports-active', undefined, ['--agent-down-time', '1']);
    const h = down.hosts.compute1!.agent!;
    expect(h.lastReportAt).toBe(last);
    const livenessAt = Math.min(Number(until) * 1000, Date.parse((down.input as { livenessAt: string } & Out['input']).livenessAt));
    expect(h.alive).toBe(livenessAt - Date.parse(last) <= 1000);
    if (!h.alive) {
      expect(h.downSince).toBe(new Date(Date.parse(last) + 1000).toISOString());
      expect(down.findings.some((f) => f.kind === 'agent_down' && f.hosts.join() === 'compute1')).toBe(true);
    }
  });
});
