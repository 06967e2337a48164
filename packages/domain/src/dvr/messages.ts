/**
 * DVR (distributed virtual routing) messages on RabbitMQ: what the server tells the agents about
 * DVR MACs and static ARP entries, and what the agents ask it. Validated here; folded in `fold.ts`.
 *
 * Sources (Neutron 21.0.0 Zed):
 * - neutron/api/rpc/handlers/dvr_rpc.py `DVRAgentRpcApiMixin.dvr_mac_address_update`: fanout cast,
 *   v1.0, topic `<agent notifier topic>-dvr-update` (ML2: `q-agent-notifier-dvr-update`, exchange
 *   `q-agent-notifier-dvr-update_fanout`), kwargs `dvr_macs=[{host, mac_address}, ...]`, the full
 *   list of DVR MACs (`dvr_host_macs`), sent when a host's MAC is created or its last agent deleted.
 * - dvr_rpc.py `DVRServerRpcApi`: agent -> server calls on `q-plugin` (v1.0/1.1):
 *   `get_dvr_mac_address_by_host(host)`, `get_dvr_mac_address_list()`,
 *   `get_ports_on_host_by_subnet(host, subnet)`, `get_subnet_for_dvr(subnet, fixed_ips)`.
 * - neutron/api/rpc/agentnotifiers/l3_rpc_agent_api.py `_agent_notification_arp`: fanout cast, v1.2,
 *   topic `l3_agent` (exchange `l3_agent_fanout`), methods `add_arp_entry` / `del_arp_entry`, kwargs
 *   `payload={router_id, arp_table: {ip_address, mac_address, subnet_id}}` (built by
 *   neutron/db/l3_dvr_db.py `_generate_arp_table_and_notify_agent`, one cast per router on the subnet).
 */
import { z } from 'zod';
import { zodProblem } from '../l2pop';
import { arrayUntilInvalid } from '../zod-bounded';

/** `topics.get_topic_name(topics.AGENT, topics.DVR, topics.UPDATE)`: the `dvr_mac_address_update` fanout topic. */
export const DVR_UPDATE_TOPIC = 'q-agent-notifier-dvr-update';
/** `topics.L3_AGENT`: the L3 agents' topic; `add_arp_entry` / `del_arp_entry` go to its fanout `l3_agent_fanout`. */
export const L3_AGENT_TOPIC = 'l3_agent';

/** The DVR methods l2scope validates (every other method on these topics stays `other`). */
export const DVR_METHODS = [
  'dvr_mac_address_update',
  'add_arp_entry',
  'del_arp_entry',
  'get_dvr_mac_address_by_host',
  'get_dvr_mac_address_list',
  'get_subnet_for_dvr',
  'get_ports_on_host_by_subnet',
] as const;
export type DvrMethod = (typeof DVR_METHODS)[number];

/** Whether `method` is one of {@link DVR_METHODS}. */
export function isDvrMethod(method: string): method is DvrMethod {
  return (DVR_METHODS as readonly string[]).includes(method);
}

/** Most `dvr_macs` rows accepted in one update (one per host: 1,000 hypervisors with room to spare). */
export const MAX_DVR_MACS = 10_000;

/**
 * A MAC as Neutron sends it, normalised to lower-case with colons. `dvr_mac_address_update` carries
 * netaddr's default EUI-48 form, upper-case with dashes (`FA-16-3F-1B-9F-1D`, seen on the DVR lab,
 * fixtures/dvr-lab.jsonl: `dvr_host_macs` rows straight from the database); ports' MACs come with
 * colons (`fa:16:3e:66:1f:8a`). A mix of both separators is refused.
 */
const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(?:(:[0-9a-fA-F]{2}){5}|(-[0-9a-fA-F]{2}){5})$/, 'not a MAC address')
  .transform((s) => s.toLowerCase().replaceAll('-', ':'));
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'not an IP address' });
const id = z.string().min(1).max(255);

/** One row of `dvr_host_macs` as the server serialises it (`{host, mac_address}`). */
export const dvrMacSchema = z.object({ host: id, mac_address: mac });

const macUpdateArgs = z.object({ dvr_macs: arrayUntilInvalid(dvrMacSchema).refine((a) => a.length <= MAX_DVR_MACS, `more than ${MAX_DVR_MACS} rows`) });
const arpArgs = z.object({
  payload: z.object({
    router_id: id,
    arp_table: z.object({ ip_address: ip, mac_address: mac, subnet_id: id }),
  }),
});
const byHostArgs = z.object({ host: id });
const listArgs = z.object({});
const fixedIp = z.object({ subnet_id: id.optional(), ip_address: ip.optional() }).catchall(z.unknown());
const subnetForDvrArgs = z.object({ subnet: id.nullable().optional(), fixed_ips: arrayUntilInvalid(fixedIp).nullable().optional() });
const portsOnHostArgs = z.object({ host: id, subnet: id });

/** A DVR MAC of one host, as announced: `{host, mac}` (MAC lower-case). */
export interface DvrMac {
  host: string;
  mac: string;
}

/** One static ARP entry the server asks every L3 agent of `router` to set (or remove) in `qrouter-<router>`. */
export interface DvrArpEntry {
  router: string;
  subnet: string;
  ip: string;
  /** Lower-case MAC. */
  mac: string;
}

/** What a DVR message says, by method. */
export type DvrPayload =
  | { method: 'dvr_mac_address_update'; macs: DvrMac[] }
  | { method: 'add_arp_entry' | 'del_arp_entry'; entry: DvrArpEntry }
  | { method: 'get_dvr_mac_address_by_host'; host: string }
  | { method: 'get_dvr_mac_address_list' }
  | { method: 'get_subnet_for_dvr'; subnet: string | null; fixedIps: { subnet: string | null; ip: string | null }[] }
  | { method: 'get_ports_on_host_by_subnet'; host: string; subnet: string };

/**
 * Validate the oslo `args` of a DVR method.
 * @param method one of {@link DVR_METHODS}
 * @param args the oslo message's `args` object
 * @returns the payload, or `error` naming the first bad field (zod path: message)
 */
export function decodeDvrArgs(method: DvrMethod, args: Record<string, unknown>): { ok: true; payload: DvrPayload } | { ok: false; error: string } {
  const fail = (e: z.ZodError) => ({ ok: false as const, error: zodProblem(e) });
  switch (method) {
    case 'dvr_mac_address_update': {
      const p = macUpdateArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      return { ok: true, payload: { method, macs: p.data.dvr_macs.map((m) => ({ host: m.host, mac: m.mac_address })) } };
    }
    case 'add_arp_entry':
    case 'del_arp_entry': {
      const p = arpArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      const { router_id, arp_table: t } = p.data.payload;
      return { ok: true, payload: { method, entry: { router: router_id, subnet: t.subnet_id, ip: t.ip_address, mac: t.mac_address } } };
    }
    case 'get_dvr_mac_address_by_host': {
      const p = byHostArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      return { ok: true, payload: { method, host: p.data.host } };
    }
    case 'get_dvr_mac_address_list': {
      const p = listArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      return { ok: true, payload: { method } };
    }
    case 'get_subnet_for_dvr': {
      const p = subnetForDvrArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      const fixedIps = (p.data.fixed_ips ?? []).map((f) => ({ subnet: f.subnet_id ?? null, ip: f.ip_address ?? null }));
      return { ok: true, payload: { method, subnet: p.data.subnet ?? null, fixedIps } };
    }
    case 'get_ports_on_host_by_subnet': {
      const p = portsOnHostArgs.safeParse(args);
      if (!p.success) return fail(p.error);
      return { ok: true, payload: { method, host: p.data.host, subnet: p.data.subnet } };
    }
  }
}
