/**
 * Drift: the differences between what l2pop told a host and what it holds, per host and network.
 *
 * Drift classes (per host and network):
 * - `missing_flood`: a told flood entry is not held (BUM of N will not reach that VTEP).
 * - `missing_unicast`: a told unicast entry is not held (frames to that MAC are flooded, or, if a
 *   learned row exists, reach it only by learning: `detail` says so).
 * - `stale_entry`: a permanent entry l2pop would not hold (port gone; a flood entry to a VTEP with no
 *   ports left).
 * - `wrong_vtep`: a MAC points at another VTEP than the one l2pop announced (port moved): `vtep` is
 *   where it points, `expectedVtep` where it should.
 * - `learned_only`: a row learned from traffic (VXLAN learning; OVS table 10 `learn()`), for a MAC l2pop
 *   does not announce, on a host whose agent does not run l2pop (or whose mode is unknown):
 *   flood-and-learn at work, normal with l2_population off (e.g. Lab1).
 * Not drift, listed apart (`HostAnalysis.foreignMacs`, severity warning): `foreign_mac`, a row learned
 * from traffic on a host whose agent runs l2pop, for a MAC that l2pop never announced. l2pop does not
 * produce it and cannot fix it: a frame from a source Neutron does not know crossed the tunnel (a MAC
 * leaked from a hypervisor's own interfaces, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a
 * port whose casts l2scope has not seen). An operator wants to see it; it is not l2pop drift.
 * - `neigh_missing` / `neigh_stale`: ARP responder entry absent / pointing at a MAC l2pop did not
 *   announce for that IP (or for an IP l2pop did not announce). Checked only where the responder runs.
 * - `unmaintained`: a Linux bridge host holds a row of a network it no longer serves (its agent
 *   restarted with no port there) that matches what l2pop announces today: right now, but no cast
 *   updates it, so it goes stale at the next change (unmaintained.ts).
 * With l2_population off (or unknown) nothing is told, so no `missing_*` / `neigh_*` is raised;
 * permanent rows that contradict the model are still `stale_entry` / `wrong_vtep` (nobody maintains them).
 */
import { FLOOD_MAC } from '../../l2pop';
import type { HostCtx } from './context';
import { type Evidence, render } from './evidence';
import { type Told, toldNeigh, firstNotOwn, nextStamp } from './told';
import type { Held, NeighEntry, Row } from './held-state';

/**
 * The protocol that resolves `ip`: `NDP` for IPv6 (neighbour solicitations, which the vxlan
 * `proxy` answers as it answers ARP: the kernel's `neigh_reduce`), `ARP` for IPv4.
 */
const resolver = (ip: string): 'ARP' | 'NDP' => (ip.includes(':') ? 'NDP' : 'ARP');

/** The drift classes (see the module comment), in the order drift items are sorted within a network. */
export const DRIFT_CLASSES = [
  'missing_flood',
  'missing_unicast',
  'stale_entry',
  'wrong_vtep',
  'learned_only',
  'neigh_missing',
  'neigh_stale',
  'unmaintained',
] as const;
/** One of {@link DRIFT_CLASSES}. */
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/** The class name of a {@link ForeignMac} (a learned MAC that l2pop never announced, on an l2pop host). */
export const FOREIGN_MAC = 'foreign_mac';

/** One difference between what l2pop told a host and what it holds. */
export interface DriftItem {
  class: DriftClass;
  /** Neutron network UUID, or `vni:<n>` when the model does not know the VNI's network. */
  network: string;
  mac: string | null;
  ip: string | null;
  /** The VTEP concerned: told for missing_*, held for stale_entry / wrong_vtep / learned_only. */
  vtep: string | null;
  /** wrong_vtep: where l2pop told the host the MAC is (the told VTEP; JSON name kept: persisted, printed by `l2scope analyze`). */
  expectedVtep?: string;
  /** neigh_stale: the MAC l2pop told the host for that IP (the told MAC; JSON name kept: persisted, printed). */
  expectedMac?: string;
  /** Device or table holding (or that should hold) the row: `vxlan-649`, `br-tun lvid 1`. */
  dev: string | null;
  detail: string;
  evidence: Evidence[];
  /**
   * Keys (`findingKey`) of open findings that may cause this row, e.g. `agent_down/agent:<host>`
   * when the host's agent is down (set by `withAgentLiveness`); absent when none.
   */
  causes?: string[];
}

/**
 * A MAC learned from traffic (VXLAN learning; OVS table 10 `learn()`) on a host whose agent runs l2pop,
 * that l2pop never announced on that network: not drift (l2pop neither made nor can fix it) but a
 * frame from a source unknown to Neutron that crossed the tunnel: a leak from a hypervisor's own
 * interfaces, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a port whose casts were missed.
 * Severity: warning. Same row fields as a {@link DriftItem}; `vtep` is where it was learned from.
 */
export interface ForeignMac {
  class: typeof FOREIGN_MAC;
  /** Neutron network UUID, or `vni:<n>` when the model does not know the VNI's network. */
  network: string;
  mac: string;
  /** The IP l2pop announced for that MAC elsewhere on the network (normally null: it announced none). */
  ip: string | null;
  /** The VTEP the MAC was learned from. */
  vtep: string | null;
  /** Device or table holding the row: `vxlan-649`, `br-tun lvid 1`. */
  dev: string | null;
  detail: string;
  evidence: Evidence[];
}

/** Rows of one MAC: the row itself when alone (the common case: no array per row), else all of them in row order. */
type MacRows = Row | Row[];

/**
 * The drift items of one host on one network ({@link DRIFT_CLASSES}); foreign MACs go to `foreign`.
 * @param applied the agent applies l2pop (true), does not (false), unknown (null)
 * @param responderWrites the agent writes ARP responder entries on this network
 */
export function driftFor(
  c: Pick<HostCtx, 'type'>,
  a: Held,
  told: Told,
  applied: boolean | null,
  responderWrites: boolean | null,
  foreign: ForeignMac[],
): DriftItem[] {
  const out: DriftItem[] = [];
  const dev = a.dev;
  const add = (d: Omit<DriftItem, 'network' | 'dev'>) => out.push({ network: a.network, dev, ...d });
  const ipOf = (mac: string) => told.ipOfMac.get(mac) ?? null;
  const on = applied === true;
  const own = told.own;

  // fast path: the flood entries are exactly the announced ones (own VTEP skipped): nothing to say
  let floodExact = a.floodUnicast.size === told.flood.size - (own !== null && told.flood.has(own) ? 1 : 0);
  if (floodExact) {
    for (const v of a.floodUnicast.keys()) {
      if (v === own || !told.flood.has(v)) {
        floodExact = false;
        break;
      }
    }
  }
  if (on && !floodExact) {
    for (const v of told.flood) {
      if (v !== own && !a.floodUnicast.has(v))
        add({
          class: 'missing_flood',
          mac: FLOOD_MAC,
          ip: null,
          vtep: v,
          detail: `no flood entry to ${v}: BUM of this network does not reach it (DHCP, ARP break)${a.present ? '' : `; ${dev ?? 'the device'} does not exist`}`,
          evidence: [],
        });
    }
  }
  if ((on || applied === null) && !floodExact) {
    for (const [v, e] of a.floodUnicast) {
      if ((v === own || !told.flood.has(v)) && !v.startsWith('ofport:'))
        add({
          class: 'stale_entry',
          mac: FLOOD_MAC,
          ip: null,
          vtep: v,
          detail: `flood entry to ${v}, which has no ports on this network: wasted BUM copies`,
          evidence: [render(e)],
        });
    }
  }

  // unicast; fast path: every row is a distinct announced MAC at an announcing VTEP (not its own),
  // and every MAC announced by another VTEP has its row: nothing to say
  const stamp = nextStamp();
  let fine = 0;
  for (const r of a.rows) {
    const m = r.learned || r.vtep === null || r.vtep === own ? undefined : told.macs.get(r.mac);
    if (m === undefined || m.stamp === stamp || !m.vteps.has(r.vtep!)) break;
    m.stamp = stamp;
    fine++;
  }
  const unicastExact = fine === a.rows.length && fine === told.macs.size - (own === null ? 0 : (told.macsOnlyBy.get(own) ?? 0));
  const byMac = new Map<string, MacRows>();
  for (const r of unicastExact ? [] : a.rows) {
    const l = byMac.get(r.mac);
    if (l === undefined) byMac.set(r.mac, r);
    else if (Array.isArray(l)) l.push(r);
    else byMac.set(r.mac, [l, r]);
  }
  const handled = new Set<Row>(unicastExact ? a.rows : []);
  for (const [mac, { vteps: announced }] of unicastExact ? [] : told.macs) {
    let vteps = announced;
    if (own !== null && vteps.has(own)) {
      if (vteps.size === 1) continue;
      vteps = new Set([...vteps].filter((v) => v !== own));
    }
    const got = byMac.get(mac);
    // fast path: one l2pop row, pointing where l2pop said
    if (got !== undefined && !Array.isArray(got) && !got.learned && (got.vtep === null || vteps.has(got.vtep))) {
      handled.add(got);
      continue;
    }
    const rows = got === undefined ? [] : Array.isArray(got) ? got : [got];
    const fixed = rows.filter((r) => !r.learned);
    const good = fixed.filter((r) => r.vtep === null || vteps.has(r.vtep));
    const toldVtep = [...vteps].sort()[0]!;
    if (good.length) {
      for (const r of rows) if (good.includes(r) || r.learned) handled.add(r);
      continue;
    }
    if (fixed.length) {
      for (const r of fixed) {
        handled.add(r);
        add({
          class: 'wrong_vtep',
          mac,
          ip: ipOf(mac),
          vtep: r.vtep,
          expectedVtep: toldVtep,
          detail: `${mac} points at ${r.vtep}, l2pop announced it at ${[...vteps].sort().join(', ')} (port moved?): its traffic is black-holed`,
          evidence: [render(r.ev)],
        });
      }
      for (const r of rows) handled.add(r);
      continue;
    }
    if (!on) continue;
    const learned = rows.filter((r) => r.learned);
    for (const r of learned) handled.add(r);
    add({
      class: 'missing_unicast',
      mac,
      ip: ipOf(mac),
      vtep: toldVtep,
      detail: learned.length
        ? `no l2pop entry for ${mac} dst ${toldVtep}; reached only through a learned row dst ${learned.map((r) => r.vtep ?? '?').join(', ')}`
        : a.present
          ? `no unicast entry for ${mac} dst ${toldVtep}: frames to it are flooded`
          : `no unicast entry for ${mac} dst ${toldVtep}: frames to it are dropped, ${dev ?? 'the device'} does not exist`,
      evidence: learned.map((r) => render(r.ev)),
    });
  }
  if (handled.size < a.rows.length) {
    for (const r of a.rows) {
      if (handled.has(r)) continue;
      if (r.learned && on) {
        foreign.push({
          class: FOREIGN_MAC,
          network: a.network,
          mac: r.mac,
          ip: ipOf(r.mac),
          vtep: r.vtep,
          dev,
          detail: `learned from traffic from ${r.vtep ?? '?'}, but l2pop never announced ${r.mac} on this network: a frame from a source Neutron does not know crossed the tunnel (a hypervisor's own interface leaking, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a port whose casts l2scope missed)`,
          evidence: [render(r.ev)],
        });
      } else if (r.learned) {
        add({
          class: 'learned_only',
          mac: r.mac,
          ip: ipOf(r.mac),
          vtep: r.vtep,
          detail:
            applied === false
              ? `learned from traffic (flood-and-learn, l2_population off)`
              : `learned from traffic: l2pop does not announce ${r.mac} and this agent's l2pop mode is unknown (flood-and-learn?)`,
          evidence: [render(r.ev)],
        });
      } else {
        add({
          class: 'stale_entry',
          mac: r.mac,
          ip: ipOf(r.mac),
          vtep: r.vtep,
          detail: `permanent entry for ${r.mac} dst ${r.vtep ?? '?'}, which l2pop does not announce (port gone?)`,
          evidence: [render(r.ev)],
        });
      }
    }
  }

  // neighbours (ARP responder)
  if (on && responderWrites) {
    const v4only = c.type === 'openvswitch';
    if (!v4only) {
      // fast path: every entry is a distinct IP answered with the announced MAC, and every IP announced by another VTEP has one
      const nstamp = nextStamp();
      let ok = 0;
      for (const n of a.neigh) {
        const e = told.neigh.get(n.ip);
        if (e === undefined || e.stamp === nstamp || n.mac === null || firstNotOwn(e.list, own) !== n.mac) break;
        e.stamp = nstamp;
        ok++;
      }
      if (ok === a.neigh.length && ok === told.neigh.size - (own === null ? 0 : (told.neighOnlyBy.get(own) ?? 0))) return out;
    }
    const heldByIp = new Map<string, NeighEntry | NeighEntry[]>();
    for (const n of a.neigh) {
      const l = heldByIp.get(n.ip);
      if (l === undefined) heldByIp.set(n.ip, n);
      else if (Array.isArray(l)) l.push(n);
      else heldByIp.set(n.ip, [l, n]);
    }
    for (const ip of told.neigh.keys()) {
      const mac = toldNeigh(told, ip);
      if (mac === undefined || (v4only && ip.includes(':'))) continue;
      const one = heldByIp.get(ip);
      if (one !== undefined && !Array.isArray(one) && one.mac === mac) continue;
      const got = one === undefined ? [] : Array.isArray(one) ? one : [one];
      if (got.some((n) => n.mac === mac)) continue;
      if (got.length) {
        for (const n of got)
          add({
            class: 'neigh_stale',
            mac: n.mac,
            ip,
            vtep: null,
            expectedMac: mac,
            detail: `${resolver(ip)} responder answers ${ip} with ${n.mac ?? '?'}, l2pop announced ${mac}`,
            evidence: [render(n.ev)],
          });
      } else
        add({
          class: 'neigh_missing',
          mac,
          ip,
          vtep: null,
          detail: `no ${resolver(ip)} responder entry ${ip} -> ${mac}: ${resolver(ip)} for it gets no answer${c.type === 'linuxbridge' ? ' (the vxlan proxy consumes the request)' : ''}`,
          evidence: [],
        });
    }
    for (const n of a.neigh) {
      if (toldNeigh(told, n.ip) === undefined)
        add({
          class: 'neigh_stale',
          mac: n.mac,
          ip: n.ip,
          vtep: null,
          detail: `${resolver(n.ip)} responder entry for ${n.ip}, which l2pop does not announce`,
          evidence: [render(n.ev)],
        });
    }
  }
  return out;
}
