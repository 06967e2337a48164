/**
 * The Open vSwitch br-tun check of a toggle's verification (docs/toggles.md#verification-ovs) on
 * ovs1's real br-tun (fixtures/ovs-node, Lab3: l2pop and the ARP responder on): one cookie that was
 * not there before the restart, and tables in the mode. A restarted agent's flows next to the old
 * agent's (two cookies, as br-tun holds them until `cleanup_stale_flows`) do not pass.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type FullNodeSnapshot, snapshotsFromBundle } from '@l2scope/domain';
import { brTunCookies, checkBrTun, cookiesBeforeLine, cookiesBeforeOf } from '../src/toggle/verify';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NEW = '0xb54118ffebb289f4';
const OLD = '0x5a1e0ff1ce';
const AT = Date.parse('2026-01-01T00:00:00Z');

/** ovs1's snapshot of ovs-node step 3-lab3, its br-tun text edited by `edit`. */
function ovs1(edit: (flows: string) => string = (f) => f): FullNodeSnapshot {
  const dir = path.join(root, 'fixtures/ovs-node/3-lab3');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  files['ovs1-flows-br-tun.txt'] = edit(files['ovs1-flows-br-tun.txt']!);
  return snapshotsFromBundle(files, { takenAt: AT }).snapshots.find((s) => s.host === 'ovs1')!;
}

/** The old agent's flows left beside the new ones: every flow again under `OLD` (as before cleanup_stale_flows). */
const withOldFlows = (flows: string) =>
  `${flows}\n${flows
    .split('\n')
    .filter((l) => l.includes(`cookie=${NEW}`))
    .map((l) => l.replace(`cookie=${NEW}`, `cookie=${OLD}`))
    .join('\n')}`;

describe('checkBrTun', () => {
  it('one new cookie, ARP responder and l2pop flows as Lab3 wants: passes, saying what br-tun holds', () => {
    const r = checkBrTun(ovs1(), AT, { l2pop: true, arp: true }, [OLD]);
    console.log(r.evidence.join('\n'));
    expect(r.ok).toBe(true);
    expect(r.evidence[0]).toMatch(new RegExp(`br-tun holds one cookie, ${NEW} \\(\\d+ flows\\); before the restart ${OLD}$`));
    expect(r.evidence[1]).toMatch(/^table 2 -> 21 \(ARP responder\): present; table 21: [1-9]\d* entries; table 20: [1-9]\d* l2pop flows?, \d+ learned$/);
    expect(r.evidence.slice(2).every((l) => /^table 22 dl_vlan=\d+: output [\d,]+$/.test(l))).toBe(true);
  });

  it('the old agent flows still beside the new ones (two cookies): fails until the cleanup, naming both', () => {
    const r = checkBrTun(ovs1(withOldFlows), AT, { l2pop: true, arp: true }, [OLD]);
    expect(r.ok).toBe(false);
    expect(r.evidence[0]).toMatch(
      /holds flows of 2 cookies: 0x[0-9a-f]+ \(\d+ flows\), 0x[0-9a-f]+ \(\d+ flows\): the restarted agent has not deleted the old flows yet/,
    );
    expect(r.evidence[0]).toContain(NEW);
    expect(r.evidence[0]).toContain(OLD);
  });

  it('only the cookie from before the restart: fails (the new agent has not installed its flows)', () => {
    const r = checkBrTun(ovs1(), AT, { l2pop: true, arp: true }, [NEW]);
    expect(r.ok).toBe(false);
    expect(r.evidence[0]).toMatch(/the cookie from before the restart/);
  });

  it('tables in another mode fail: Lab3 flows when l2pop off or the ARP responder off is wanted', () => {
    const off = checkBrTun(ovs1(), AT, { l2pop: false, arp: null }, [OLD]);
    expect(off.ok).toBe(false);
    expect(checkBrTun(ovs1(), AT, { l2pop: null, arp: false }, [OLD]).ok).toBe(false);
    // flood-and-learn's br-tun: no table 2 -> 21, no table 21, no l2pop flow in table 20
    const fal = ovs1((f) =>
      f
        .split('\n')
        .filter((l) => !/table=21,|table=2, .*arp.*resubmit\(,21\)|table=20, .*priority=2/.test(l))
        .join('\n'),
    );
    expect(checkBrTun(fal, AT, { l2pop: false, arp: null }, [OLD])).toMatchObject({ ok: true });
    expect(checkBrTun(fal, AT, { l2pop: true, arp: true }, [OLD]).ok).toBe(false);
  });

  it('no snapshot since the restart, or br-tun unread: fails; an older node agent without cookies: passes on the tables, saying so', () => {
    expect(checkBrTun(ovs1(), AT + 1, { l2pop: true, arp: true }, [OLD])).toEqual({ ok: false, evidence: ['no node snapshot since the restart'] });
    expect(checkBrTun(undefined, AT, { l2pop: true, arp: true }, null).ok).toBe(false);
    const s = ovs1();
    expect(checkBrTun({ ...s, openvswitch: { ...s.openvswitch!, brTun: null } }, AT, { l2pop: true, arp: true }, [OLD]).ok).toBe(false);
    const { cookies: _, ...older } = s.openvswitch!.brTun!;
    const r = checkBrTun({ ...s, openvswitch: { ...s.openvswitch!, brTun: older } }, AT, { l2pop: true, arp: true }, [OLD]);
    expect(r.ok).toBe(true);
    expect(r.evidence[0]).toMatch(/does not report br-tun cookies/);
  });

  it('the cookies before a restart round-trip through the job evidence (the last line wins; none is an empty list)', () => {
    expect(brTunCookies(ovs1(withOldFlows))?.sort()).toEqual([OLD, NEW]);
    expect(brTunCookies(undefined)).toBeNull();
    const ev = ['set_mode: x', cookiesBeforeLine([NEW]), 'restart: ok', cookiesBeforeLine([NEW, OLD])];
    expect(cookiesBeforeOf(ev)).toEqual([NEW, OLD]);
    expect(cookiesBeforeOf([cookiesBeforeLine([])])).toEqual([]);
    expect(cookiesBeforeOf(['nothing'])).toBeNull();
  });
});
