/**
 * The DVR flows of a host, read from `ovs-ofctl --no-names dump-flows br-tun` / `br-int` text (pure).
 *
 * Tables: neutron_lib/plugins/ml2/ovs_constants.py (br-tun `DVR_PROCESS` = 1, `DVR_NOT_LEARN` = 9;
 * br-int `LOCAL_SWITCHING` = 0, `DVR_TO_SRC_MAC` = 1, `ARP_DVR_MAC_TO_DST_MAC` = 3). Flows:
 * - br-tun t1 (openflow/native/br_dvr_process.py `install_dvr_process`): `priority=2,dl_vlan=V,dl_dst=<qr mac>
 *   actions=drop` and `priority=1,dl_vlan=V,dl_src=<qr mac> actions=mod_dl_src:<local DVR MAC>,resubmit(,2)`;
 * - br-tun t9 (br_tun.py `add_dvr_mac_tun`): `priority=1,dl_src=<remote DVR MAC> actions=output:<patch-int>`;
 * - br-int t0 (br_int.py `add_dvr_mac_tun`): `priority=2,in_port=<patch-tun>,dl_src=<remote DVR MAC> actions=resubmit(,1)`;
 * - br-int t1 (`install_dvr_to_src_mac`): `priority=20,dl_vlan=V,dl_dst=<VM mac> actions=mod_dl_src:<gateway mac>,resubmit(,..)`;
 * - br-int t3 (`install_dvr_dst_mac_for_arp`): `priority=5,..,dl_dst=<DVR MAC> actions=mod_dl_dst:<gateway mac>,strip_vlan,output:<qr port>`.
 * The native driver installs `goto_table` and `set_field`, which `ovs-ofctl` (OpenFlow 1.0 + NXM)
 * prints as `resubmit(,N)` and `mod_dl_src:` / `mod_dl_dst:` (as in fixtures/ovs-node); the
 * OpenFlow 1.3 spellings (`goto_table:N`, `set_field:M->eth_src`) are read too.
 */
import { type OfFlow, flowNextTables, flowVlan } from '../node/ovs';

/** br-tun and br-int table numbers of the DVR flows (ovs_constants.py). */
export const DVR_TABLES = { brTunProcess: 1, brTunNotLearn: 9, brIntLocalSwitching: 0, brIntToSrcMac: 1, brIntArpDvrMacToDst: 3 } as const;

/** Most rows kept per list of {@link DvrFlows}. */
export const MAX_DVR_FLOW_ROWS = 20_000;

/** What a host's flows say about DVR. MACs lower-case; lists sorted, unique. */
export interface DvrFlows {
  /** br-tun t1 priority 1: frames from a qr- port (`qrMac`, local VLAN `vlan`) leave with source `dvrMac`. */
  process: { vlan: number | null; qrMac: string; dvrMac: string }[];
  /** br-tun t1 priority 2: frames to a qr- MAC coming from the tunnels are dropped (every host has that MAC). */
  qrDrops: { vlan: number | null; qrMac: string }[];
  /** br-tun t9: remote DVR MACs sent to br-int without MAC learning. */
  notLearn: string[];
  /** br-int t0 priority 2: remote DVR MACs arriving from br-tun, sent to t1. */
  brIntDvrMacs: string[];
  /** br-int t1 priority 20: frames to a local VM get the gateway MAC as source. */
  toSrcMac: { vlan: number | null; vmMac: string; gatewayMac: string }[];
  /** br-int t3: ARP replies to a DVR MAC get the gateway MAC as destination. */
  arpToGateway: { vlan: number | null; dvrMac: string; gatewayMac: string }[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const macOf = (v: string | undefined): string | null => {
  const m = v?.split('/')[0]?.toLowerCase();
  return m && MAC.test(m) ? m : null;
};

/** The MAC an action writes into `eth_src` / `eth_dst` (`mod_dl_src:M`, `set_field:M->eth_src`), null when none. */
function setMac(actions: string[], which: 'src' | 'dst'): string | null {
  let out: string | null = null;
  for (const a of actions) {
    const short = new RegExp(`^mod_dl_${which}:(.+)$`).exec(a);
    const field = new RegExp(`^set_field:([^-]+)->(eth_${which}|dl_${which})$`).exec(a);
    const v = macOf(short?.[1] ?? field?.[1]);
    if (v) out = v;
  }
  return out;
}

const srcOf = (f: OfFlow) => macOf(f.match.dl_src ?? f.match.eth_src);
const dstOf = (f: OfFlow) => macOf(f.match.dl_dst ?? f.match.eth_dst);

function uniqueBy<T>(rows: T[], key: (r: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const r of rows) if (!seen.has(key(r))) seen.set(key(r), r);
  return [...seen.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).slice(0, MAX_DVR_FLOW_ROWS);
}

/**
 * Read the DVR flows of one host.
 * @param brTun parsed `dump-flows br-tun` (parseOfctlFlows); [] when not read
 * @param brInt parsed `dump-flows br-int`; [] when not read
 */
export function parseDvrFlows(brTun: readonly OfFlow[], brInt: readonly OfFlow[]): DvrFlows {
  const process: DvrFlows['process'] = [];
  const qrDrops: DvrFlows['qrDrops'] = [];
  const notLearn: string[] = [];
  const brIntDvrMacs: string[] = [];
  const toSrcMac: DvrFlows['toSrcMac'] = [];
  const arpToGateway: DvrFlows['arpToGateway'] = [];
  for (const f of brTun) {
    if (f.table === DVR_TABLES.brTunProcess) {
      const src = srcOf(f);
      const dst = dstOf(f);
      const rewrite = setMac(f.actions, 'src');
      if (f.priority === 1 && src && rewrite) process.push({ vlan: flowVlan(f.match), qrMac: src, dvrMac: rewrite });
      else if (f.priority === 2 && dst && f.actions.includes('drop')) qrDrops.push({ vlan: flowVlan(f.match), qrMac: dst });
    } else if (f.table === DVR_TABLES.brTunNotLearn && f.priority === 1) {
      const src = srcOf(f);
      if (src) notLearn.push(src);
    }
  }
  for (const f of brInt) {
    if (f.table === DVR_TABLES.brIntLocalSwitching && f.priority === 2) {
      const src = srcOf(f);
      if (src && flowNextTables(f.actions).includes(DVR_TABLES.brIntToSrcMac)) brIntDvrMacs.push(src);
    } else if (f.table === DVR_TABLES.brIntToSrcMac && f.priority === 20) {
      const dst = dstOf(f);
      const gw = setMac(f.actions, 'src');
      if (dst && gw) toSrcMac.push({ vlan: flowVlan(f.match), vmMac: dst, gatewayMac: gw });
    } else if (f.table === DVR_TABLES.brIntArpDvrMacToDst) {
      const dst = dstOf(f);
      const gw = setMac(f.actions, 'dst');
      if (dst && gw) arpToGateway.push({ vlan: flowVlan(f.match), dvrMac: dst, gatewayMac: gw });
    }
  }
  return {
    process: uniqueBy(process, (r) => `${r.vlan}|${r.qrMac}|${r.dvrMac}`),
    qrDrops: uniqueBy(qrDrops, (r) => `${r.vlan}|${r.qrMac}`),
    notLearn: uniqueBy(notLearn, (m) => m),
    brIntDvrMacs: uniqueBy(brIntDvrMacs, (m) => m),
    toSrcMac: uniqueBy(toSrcMac, (r) => `${r.vlan}|${r.vmMac}`),
    arpToGateway: uniqueBy(arpToGateway, (r) => `${r.vlan}|${r.dvrMac}`),
  };
}

/** The host's own DVR MAC as installed: the source rewrite of br-tun t1 (the most used one if several; null when none). */
export function installedDvrMac(flows: Pick<DvrFlows, 'process'>): string | null {
  const count = new Map<string, number>();
  for (const p of flows.process) count.set(p.dvrMac, (count.get(p.dvrMac) ?? 0) + 1);
  let best: string | null = null;
  for (const [mac, n] of count) if (best === null || n > count.get(best)! || (n === count.get(best)! && mac < best)) best = mac;
  return best;
}
