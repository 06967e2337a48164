/**
 * DVR: announced vs held, per host and per router (pure). Inputs are what the server announced
 * (fold.ts), each agent's `report_state`, and each node's DVR flows and router namespaces; the
 * output is the DVR page's view and its findings.
 *
 * Findings (docs/dvr.md#findings):
 * - `dvr_mac_flow_missing`: a DVR host's br-tun t9 (or br-int t0) lacks a peer's announced DVR MAC:
 *   routed frames from that peer are learned by br-tun (or dropped by br-int), so east-west routing
 *   to that host breaks or flaps (ovs_dvr_neutron_agent.py `_add_dvr_mac_for_tun_br`).
 * - `dvr_mac_mismatch`: the host's own DVR MAC in br-tun t1 is not the one announced for it.
 * - `arp_entry_missing`: a static ARP entry announced for a router is not a `nud permanent`
 *   neighbour in that host's `qrouter-<router>` (the router ARPs instead, or the entry is pending).
 * - `arp_entry_stale`: a `nud permanent` entry on a `qr-` device that the server did not announce
 *   (or announced with another MAC). A warning: entries seeded at router sync come from RPC
 *   replies the tap does not see (docs/dvr.md#limits).
 * - `dvr_l2pop_off`: `enable_distributed_routing` with tunnelling and `l2_population = false`: the
 *   OVS agent raises ValueError at startup (ovs_neutron_agent.py `_check_agent_configurations`).
 * - `dvr_arp_responder_forced`: DVR with tunnelling turns `arp_responder` on although the ini says
 *   false (ovs_neutron_agent.py `__init__`: "ARP responder was not enabled but is required").
 */
import type { L3AgentMode } from '../l3-agent';
import type { AgentIni } from '../node/ini';
import type { DvrAnnounced } from './fold';
import { type DvrFlows, installedDvrMac } from './flows';
import type { HeldArpEntry } from './neigh';

/** One host's inputs. Every part may be missing (null): no report_state yet, no node agent. */
export interface DvrHostInput {
  host: string;
  /** From the OVS agent's last report_state; null when none. */
  report: { distributedRouting: boolean | null; l2population: boolean | null; arpResponder: boolean | null } | null;
  /** The agent's ini as the node agent read it; null when not read. */
  ini: AgentIni | null;
  /** The host's L3 agent's `agent_mode` from that agent's own report_state (l3-agent.ts); null without an L3 agent report or mode. */
  l3AgentMode: L3AgentMode | null;
  /** DVR flows from the node's br-tun / br-int; null without a node snapshot. */
  flows: DvrFlows | null;
  /** The node's `qrouter-*` namespaces and their static ARP entries; null when not read. */
  routers: { namespaces: string[]; entries: HeldArpEntry[] } | null;
}

export type DvrFindingKind =
  'dvr_mac_flow_missing' | 'dvr_mac_mismatch' | 'arp_entry_missing' | 'arp_entry_stale' | 'dvr_l2pop_off' | 'dvr_arp_responder_forced';

/** One DVR finding, with what proves it. */
export interface DvrFinding {
  kind: DvrFindingKind;
  severity: 'error' | 'warning' | 'info';
  host: string;
  /** The peer whose DVR MAC is missing (dvr_mac_flow_missing). */
  peer: string | null;
  router: string | null;
  subnet: string | null;
  ip: string | null;
  mac: string | null;
  detail: string;
}

/** Per host: its DVR MAC as announced vs as installed, and the peers' MACs its flows miss. */
export interface DvrHostRow {
  host: string;
  distributedRouting: boolean | null;
  l2population: boolean | null;
  arpResponder: boolean | null;
  /** The host's L3 agent's `agent_mode` (dvr, dvr_snat, legacy, dvr_no_external); null: no L3 agent report. */
  l3AgentMode: L3AgentMode | null;
  announcedMac: string | null;
  installedMac: string | null;
  /** Peers' announced DVR MACs found in br-tun t9, of `peers` expected. */
  peersInstalled: number;
  peers: number;
  missingPeers: { host: string; mac: string; tables: string[] }[];
  /** Router namespaces on the host (null: not read). */
  routers: number | null;
}

/** Per router, subnet and IP: the announced MAC and what each host with the router's namespace holds. */
export interface DvrArpRow {
  router: string;
  subnet: string | null;
  ip: string;
  announcedMac: string | null;
  held: { host: string; mac: string | null; device: string | null }[];
}

/** The DVR page's data. */
export interface DvrView {
  hosts: DvrHostRow[];
  arp: DvrArpRow[];
  findings: DvrFinding[];
  /** Announced DVR MACs (host -> MAC), sorted by host. */
  macs: { host: string; mac: string }[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Whether the host runs DVR: report_state or ini says so, or its br-tun has DVR process flows. */
function isDvrHost(h: DvrHostInput): boolean {
  return h.report?.distributedRouting === true || h.ini?.distributedRouting === true || (h.flows?.process.length ?? 0) > 0;
}

/**
 * Build the DVR view.
 * @param announced the folded DVR messages
 * @param hosts every known host (L2 agent hosts and node-agent hosts), any order
 * @returns rows sorted by host / router, ip; findings sorted by kind, host, router, ip
 */
export function analyzeDvr(announced: DvrAnnounced, hosts: readonly DvrHostInput[]): DvrView {
  const findings: DvrFinding[] = [];
  const f = (x: Omit<DvrFinding, 'peer' | 'router' | 'subnet' | 'ip' | 'mac'> & Partial<DvrFinding>) =>
    findings.push({ peer: null, router: null, subnet: null, ip: null, mac: null, ...x });
  const sorted = [...hosts].sort((a, b) => cmp(a.host, b.host));
  const rows: DvrHostRow[] = [];
  for (const h of sorted) {
    const announcedMac = announced.macs.get(h.host) ?? null;
    const installedMac = h.flows ? installedDvrMac(h.flows) : null;
    const dvr = isDvrHost(h);
    const missingPeers: DvrHostRow['missingPeers'] = [];
    let peers = 0;
    if (dvr && h.flows) {
      const t9 = new Set(h.flows.notLearn);
      const t0 = new Set(h.flows.brIntDvrMacs);
      for (const [peer, mac] of [...announced.macs].sort((a, b) => cmp(a[0], b[0]))) {
        if (peer === h.host) continue;
        peers++;
        const tables = [...(t9.has(mac) ? [] : ['br-tun t9']), ...(t0.has(mac) ? [] : ['br-int t0'])];
        if (tables.length) {
          missingPeers.push({ host: peer, mac, tables });
          f({
            kind: 'dvr_mac_flow_missing',
            severity: 'error',
            host: h.host,
            peer,
            mac,
            detail: `${h.host} has no flow for ${peer}'s DVR MAC ${mac} in ${tables.join(' and ')}`,
          });
        }
      }
      if (announcedMac && installedMac && announcedMac !== installedMac)
        f({
          kind: 'dvr_mac_mismatch',
          severity: 'error',
          host: h.host,
          mac: installedMac,
          detail: `br-tun t1 rewrites to ${installedMac}; the server announced ${announcedMac}`,
        });
    }
    const tunnels = (h.ini?.tunnelTypes.length ?? 1) > 0;
    const l2popOff = h.ini
      ? h.ini.distributedRouting === true && !h.ini.l2population
      : h.report?.distributedRouting === true && h.report.l2population === false;
    if (tunnels && l2popOff)
      f({
        kind: 'dvr_l2pop_off',
        severity: 'error',
        host: h.host,
        detail: 'enable_distributed_routing with tunnels and l2_population = false: the OVS agent refuses to start (ValueError)',
      });
    if (h.ini?.distributedRouting && h.ini.tunnelTypes.length > 0 && h.ini.l2population && !h.ini.arpResponder)
      f({
        kind: 'dvr_arp_responder_forced',
        severity: 'info',
        host: h.host,
        detail: 'arp_responder = false in the ini, but DVR with tunnels turns the ARP responder on',
      });
    rows.push({
      host: h.host,
      distributedRouting: h.report?.distributedRouting ?? h.ini?.distributedRouting ?? null,
      l2population: h.report?.l2population ?? h.ini?.l2population ?? null,
      arpResponder: h.report?.arpResponder ?? h.ini?.arpResponderEffective ?? null,
      l3AgentMode: h.l3AgentMode,
      announcedMac,
      installedMac,
      peersInstalled: peers - missingPeers.length,
      peers,
      missingPeers,
      routers: h.routers ? h.routers.namespaces.length : null,
    });
  }

  // static ARP: announced entries vs each host that has the router's namespace
  const byRouter = new Map<string, { host: string; entries: Map<string, HeldArpEntry> }[]>();
  for (const h of sorted) {
    if (!h.routers) continue;
    for (const r of h.routers.namespaces) {
      const entries = new Map(h.routers.entries.filter((e) => e.router === r).map((e) => [e.ip, e]));
      const list = byRouter.get(r) ?? [];
      list.push({ host: h.host, entries });
      byRouter.set(r, list);
    }
  }
  const arp = new Map<string, DvrArpRow>();
  for (const e of announced.arp.values()) {
    const held = (byRouter.get(e.router) ?? []).map((h) => {
      const got = h.entries.get(e.ip);
      if (!got)
        f({
          kind: 'arp_entry_missing',
          severity: 'error',
          host: h.host,
          router: e.router,
          subnet: e.subnet,
          ip: e.ip,
          mac: e.mac,
          detail: `qrouter-${e.router} on ${h.host} has no permanent entry ${e.ip} lladdr ${e.mac}`,
        });
      return { host: h.host, mac: got?.mac ?? null, device: got?.device ?? null };
    });
    arp.set(`${e.router}|${e.ip}`, { router: e.router, subnet: e.subnet, ip: e.ip, announcedMac: e.mac, held });
  }
  for (const [router, list] of byRouter) {
    for (const h of list) {
      for (const e of h.entries.values()) {
        const want = announced.arp.get(`${router}|${e.ip}`);
        if (want && want.mac === e.mac) continue;
        f({
          kind: 'arp_entry_stale',
          severity: 'warning',
          host: h.host,
          router,
          subnet: want?.subnet ?? null,
          ip: e.ip,
          mac: e.mac,
          detail: want
            ? `qrouter-${router} on ${h.host} holds ${e.ip} lladdr ${e.mac} on ${e.device}; announced ${want.mac}`
            : `qrouter-${router} on ${h.host} holds ${e.ip} lladdr ${e.mac} on ${e.device}, never announced`,
        });
        if (!want) {
          const key = `${router}|${e.ip}`;
          const row = arp.get(key) ?? {
            router,
            subnet: null,
            ip: e.ip,
            announcedMac: null,
            held: list.map((x) => ({ host: x.host, mac: null, device: null })),
          };
          row.held = row.held.map((x) => (x.host === h.host ? { host: h.host, mac: e.mac, device: e.device } : x));
          arp.set(key, row);
        }
      }
    }
  }
  const order = ['dvr_mac_flow_missing', 'dvr_mac_mismatch', 'arp_entry_missing', 'arp_entry_stale', 'dvr_l2pop_off', 'dvr_arp_responder_forced'];
  findings.sort(
    (a, b) =>
      order.indexOf(a.kind) - order.indexOf(b.kind) ||
      cmp(a.host, b.host) ||
      cmp(a.router ?? '', b.router ?? '') ||
      cmp(a.ip ?? '', b.ip ?? '') ||
      cmp(a.peer ?? '', b.peer ?? ''),
  );
  return {
    hosts: rows,
    arp: [...arp.values()].sort((a, b) => cmp(a.router, b.router) || cmp(a.ip, b.ip)),
    findings,
    macs: [...announced.macs].map(([host, mac]) => ({ host, mac })).sort((a, b) => cmp(a.host, b.host)),
  };
}
