/**
 * The JSON printed by `l2scope decode`, one object per input message:
 * `{"ok":true,"method","target","entries":[{"network","vni","vtep","mac","ip","flood"}],"chg_ip":[...],"agent":{...}|null}`
 * or `{"ok":false,"error":"<reason>: <message>"}`.
 */
import type { DecodeResult } from './decode';

export interface DecodeJsonEntry {
  network: string;
  vni: number | null;
  vtep: string;
  mac: string;
  ip: string;
  flood: boolean;
}

export interface DecodeJsonChgIp {
  network: string;
  vtep: string;
  before: { mac: string; ip: string }[];
  after: { mac: string; ip: string }[];
}

/** `agent` of a report_state, in Neutron's own (snake_case) names. */
export interface DecodeJsonAgent {
  host: string;
  binary: string;
  agent_type: string;
  start_flag: boolean;
  tunneling_ip: string | null;
  tunnel_types: string[];
  l2_population: boolean | null;
  arp_responder_enabled?: boolean;
  enable_distributed_routing?: boolean;
  devices: number | null;
}

export type DecodeJson =
  | { ok: true; method: string; target: string | null; entries: DecodeJsonEntry[]; chg_ip: DecodeJsonChgIp[]; agent: DecodeJsonAgent | null }
  | { ok: false; error: string; reason: string; method?: string };

/** Render a decode result as the CLI's JSON object. */
export function toDecodeJson(result: DecodeResult): DecodeJson {
  if (!result.ok) {
    return {
      ok: false,
      error: `${result.error.reason}: ${result.error.message}`,
      reason: result.error.reason,
      ...(result.method ? { method: result.method } : {}),
    };
  }
  const m = result.message;
  const entries: DecodeJsonEntry[] =
    m.kind === 'fdb' ? m.entries.map((e) => ({ network: e.network, vni: e.vni, vtep: e.vtep, mac: e.mac, ip: e.ip, flood: e.flood })) : [];
  const chg_ip: DecodeJsonChgIp[] = m.kind === 'update_fdb' ? m.chgIp : [];
  let agent: DecodeJsonAgent | null = null;
  if (m.kind === 'report_state') {
    const a = m.agent;
    agent = {
      host: a.host,
      binary: a.binary,
      agent_type: a.agentType,
      start_flag: a.startFlag,
      tunneling_ip: a.tunnelingIp,
      tunnel_types: a.tunnelTypes,
      l2_population: a.l2population,
      ...(a.arpResponder !== null ? { arp_responder_enabled: a.arpResponder } : {}),
      ...(a.distributedRouting !== null ? { enable_distributed_routing: a.distributedRouting } : {}),
      devices: a.devices,
    };
  }
  return { ok: true, method: m.method, target: m.target, entries, chg_ip, agent };
}
