/**
 * The l2pop RPC payloads, validated.
 *
 * Mirrors neutron/plugins/ml2/drivers/l2pop/mech_driver.py (`_get_agent_fdb`,
 * `_create_agent_fdb`, `_fixed_ips_changed`) and rpc.py (`L2populationAgentNotifyAPI`), and
 * neutron/agent/l2/.../l2population_rpc.py (`_unmarshall_fdb_entries`): `[mac, ip]` pairs per
 * VTEP IP per network; the flood entry is neutron_lib `FLOODING_ENTRY = ('00:00:00:00:00:00', '0.0.0.0')`.
 */
import { z } from 'zod';
import { arrayUntilInvalid, recordUntilInvalid } from './zod-bounded';

/** neutron_lib.constants.FLOODING_ENTRY[0]: the MAC of a flood entry (BUM to that VTEP). */
export const FLOOD_MAC = '00:00:00:00:00:00';
/** neutron_lib.constants.FLOODING_ENTRY[1]. */
export const FLOOD_IP = '0.0.0.0';

const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'not a MAC address')
  .transform((s) => s.toLowerCase());
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'not an IP address' });
/** `[mac, ip]`: oslo serialises neutron's PortInfo namedtuple as a two-element list. */
const portInfo = z.tuple([mac, ip]);

/**
 * One network's part of `fdb_entries` in add_fdb_entries / remove_fdb_entries. Collections stop at
 * their first invalid entry ({@link arrayUntilInvalid}): 80,000 bad pairs give one issue, not 160,000.
 */
export const networkFdbSchema = z.object({
  segment_id: z.number().int().nonnegative().nullable(),
  network_type: z.string(),
  ports: recordUntilInvalid(ip, arrayUntilInvalid(portInfo)),
});

/** `args` of add_fdb_entries / remove_fdb_entries: `{fdb_entries: {<network_id>: {...}}}` (`host` optional, unused by l2pop). */
export const fdbArgsSchema = z.object({
  fdb_entries: recordUntilInvalid(z.string().min(1), networkFdbSchema),
});

const chgIpVtep = z.object({
  before: arrayUntilInvalid(portInfo).default([]),
  after: arrayUntilInvalid(portInfo).default([]),
});

/** `args` of update_fdb_entries: `{fdb_entries: {chg_ip: {<network_id>: {<vtep>: {before, after}}}}}`. */
export const updateArgsSchema = z.object({
  fdb_entries: z
    .object({
      chg_ip: recordUntilInvalid(z.string().min(1), recordUntilInvalid(ip, chgIpVtep)).optional(),
    })
    .catchall(z.unknown()),
});

/** One `[mac, ip]` told to agents, flattened with its network and VTEP. */
export interface FdbEntry {
  /** Neutron network UUID. */
  network: string;
  /** `segment_id`: the VNI for VXLAN, null when the server sent none. */
  vni: number | null;
  /** `network_type`: "vxlan", "gre", "geneve". */
  networkType: string;
  /** IP of the VTEP the MAC is behind (a key of `ports`). */
  vtep: string;
  /** Lower-case MAC; `00:00:00:00:00:00` for a flood entry. */
  mac: string;
  ip: string;
  /** True for the flood entry (BUM for the network goes to this VTEP). */
  flood: boolean;
}

/** One VTEP's fixed-IP change in update_fdb_entries `chg_ip`. */
export interface ChgIp {
  network: string;
  vtep: string;
  before: { mac: string; ip: string }[];
  after: { mac: string; ip: string }[];
}

/** Flatten validated `fdb_entries` into entries, keeping Neutron's order. */
export function flattenFdb(fdb: z.infer<typeof fdbArgsSchema>['fdb_entries']): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const [network, seg] of Object.entries(fdb)) {
    for (const [vtep, ports] of Object.entries(seg.ports)) {
      for (const [m, i] of ports) {
        out.push({ network, vni: seg.segment_id, networkType: seg.network_type, vtep, mac: m, ip: i, flood: m === FLOOD_MAC });
      }
    }
  }
  return out;
}

/** Flatten validated `chg_ip` into one record per (network, VTEP). */
export function flattenChgIp(chg: Record<string, Record<string, { before: [string, string][]; after: [string, string][] }>>): ChgIp[] {
  const out: ChgIp[] = [];
  for (const [network, vteps] of Object.entries(chg)) {
    for (const [vtep, change] of Object.entries(vteps)) {
      out.push({
        network,
        vtep,
        before: change.before.map(([m, i]) => ({ mac: m, ip: i })),
        after: change.after.map(([m, i]) => ({ mac: m, ip: i })),
      });
    }
  }
  return out;
}

/** Human readable first problem of a zod error, with its path. */
export function zodProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
