/**
 * The verification checks on real analyses: lab3's step-1 capture folded by the model and the
 * hosts' real node snapshots (docs/toggles.md#verification). compute1's unicast FDB rows removed is
 * a full-FDB gap after l2pop was turned on (missing_unicast only: passes, listing the entries);
 * the same drift after any other change fails; the snapshot check reads the vxlan device's flags.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClusterModel, analyzeNodes, decodeMessage, parseCapture, snapshotsFromBundle } from '@l2scope/domain';
import { checkDrift, checkReport, checkSnapshot } from '../src/toggle/verify';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function lab3Step1(withoutUnicast: boolean) {
  const events = readFileSync(path.join(root, 'fixtures/lab3/events.tsv'), 'utf8');
  const at = Math.round(
    Number.parseFloat(
      events
        .split('\n')
        .find((l) => l.endsWith('snapshot 1-ports-active'))!
        .split('\t')[0]!,
    ) * 1000,
  );
  const model = new ClusterModel();
  let seq = 0;
  for (const r of parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records) {
    if (r.ts.getTime() > at) break;
    const d = decodeMessage(r);
    if (d.ok) model.apply(d.message, r.ts.getTime(), ++seq);
  }
  const dir = path.join(root, 'fixtures/lab3/1-ports-active');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  if (withoutUnicast) {
    const fdb = JSON.parse(files['compute1-bridge-fdb.json']!) as { mac: string; ifname: string; dst?: string }[];
    files['compute1-bridge-fdb.json'] = JSON.stringify(fdb.filter((r) => !(r.ifname.startsWith('vxlan-') && r.dst && r.mac !== '00:00:00:00:00:00')));
  }
  const { snapshots } = snapshotsFromBundle(files, { takenAt: at });
  return { at, a: analyzeNodes({ model, snapshots }).hosts['compute1']! };
}

describe('toggle verification checks', () => {
  it('the full-FDB gap passes after l2pop on, listing the missing entries; the same drift otherwise fails', () => {
    const clean = lab3Step1(false);
    expect(checkDrift(clean.a, true)).toMatchObject({ ok: true, gap: [] });
    const { a } = lab3Step1(true);
    const gap = checkDrift(a, true);
    console.log(gap.evidence.join('\n'));
    expect(gap.ok).toBe(true);
    expect(gap.gap.length).toBeGreaterThan(0);
    expect(gap.evidence[0]).toMatch(/missing_unicast: a full-FDB gap/);
    expect(checkDrift(a, false).ok).toBe(false);
  });

  it('the snapshot check reads vxlan-649: no group (l2pop), proxy (ARP responder)', () => {
    const { a, at } = lab3Step1(false);
    expect(checkSnapshot(a, at, { l2pop: true, arp: true })).toMatchObject({ ok: true });
    expect(checkSnapshot(a, at, { l2pop: null, arp: false }).ok).toBe(false);
    expect(checkSnapshot(a, at, { l2pop: false, arp: null }).ok).toBe(false);
    expect(checkSnapshot(a, at + 1, { l2pop: true, arp: true }).ok).toBe(false); // taken before the restart
    // a clean switch deleted vxlan-649: it must be back; a VNI the snapshot lacks fails
    expect(checkSnapshot(a, at, { l2pop: true, arp: true }, [649]).ok).toBe(true);
    const gone = checkSnapshot(a, at, { l2pop: true, arp: true }, [649, 650]);
    expect(gone.ok).toBe(false);
    expect(gone.evidence).toContain('not recreated yet: vxlan-650');
  });

  it('the report check wants start_flag after the restart and the new l2_population', () => {
    const r = { at: 2_000, agentType: 'Linux bridge agent', l2population: true, arpResponder: null };
    expect(checkReport(r, 1_000, { l2pop: true, arp: false }).ok).toBe(true);
    expect(checkReport(r, 3_000, { l2pop: true, arp: null }).ok).toBe(false);
    expect(checkReport({ ...r, agentType: 'Open vSwitch agent', arpResponder: true }, 1_000, { l2pop: true, arp: false }).ok).toBe(false);
  });
});
