/**
 * One AMQP message -> a typed Neutron message: oslo envelope, then the l2pop casts and
 * `report_state` validated; every other method kept as `other` with its name.
 */
import { type AgentReport, reportStateArgsSchema, toAgentReport } from './agent';
import { type ChgIp, type FdbEntry, fdbArgsSchema, flattenChgIp, flattenFdb, updateArgsSchema, zodProblem } from './l2pop';
import { DEFAULT_JSON_LIMITS } from './json-limits';
import { type DvrPayload, decodeDvrArgs, isDvrMethod } from './dvr/messages';
import { networkDeleteArgsSchema } from './network-lifecycle';
import { type DecodeError, type OsloMessage, decodeOslo } from './oslo';
import { L2POP_METHODS, L2POP_TOPIC, resolveTarget, resolveTopic } from './topics';

/** An AMQP delivery as l2scope sees it, from the live tap, a replay or a capture file. */
export interface RawMessage {
  exchange: string;
  routingKey: string;
  body: Uint8Array | string;
}

interface Common {
  method: string;
  /** `"fanout"`, the host of a host-directed cast, or null (see `resolveTarget`). */
  target: string | null;
  /** oslo topic: fanout exchange minus `_fanout`, else the routing key up to its first dot. */
  topic: string;
  oslo: OsloMessage;
}

/** add_fdb_entries / remove_fdb_entries. */
export interface FdbMessage extends Common {
  kind: 'fdb';
  method: 'add_fdb_entries' | 'remove_fdb_entries';
  entries: FdbEntry[];
}

/** update_fdb_entries; `chgIp` holds its `chg_ip` part, `otherActions` any other action names. */
export interface UpdateFdbMessage extends Common {
  kind: 'update_fdb';
  method: 'update_fdb_entries';
  chgIp: ChgIp[];
  otherActions: string[];
}

/** An agent heartbeat (RPC call on `q-reports-plugin`). */
export interface ReportStateMessage extends Common {
  kind: 'report_state';
  method: 'report_state';
  agent: AgentReport;
}

/** `network_delete` (fanout `q-agent-notifier-network-delete`): Neutron deleted the network. */
export interface NetworkDeleteMessage extends Common {
  kind: 'network_delete';
  method: 'network_delete';
  /** The deleted network's id (`network_id`). */
  network: string;
}

/** A DVR message (dvr/messages.ts): `dvr_mac_address_update`, `add_arp_entry` / `del_arp_entry`, the DVR calls on `q-plugin`. */
export interface DvrMessage extends Common {
  kind: 'dvr';
  dvr: DvrPayload;
}

/** Any other Neutron RPC (port_update, update_device_up, push, ...), kept with its raw args. */
export interface OtherMessage extends Common {
  kind: 'other';
}

export type DecodedMessage = FdbMessage | UpdateFdbMessage | ReportStateMessage | NetworkDeleteMessage | DvrMessage | OtherMessage;

/** Decoding outcome. On failure `method` is set when the envelope got far enough to name one. */
export type DecodeResult = { ok: true; message: DecodedMessage } | { ok: false; error: DecodeError; method: string | null; target: string | null };

export interface DecodeOptions {
  /** Bodies over this many bytes are `too_large` (default 8 MiB). */
  maxBytes?: number;
  /** Deepest JSON nesting accepted in the body and in the inner oslo message, else `too_deep` (default 64). */
  maxDepth?: number;
  /** Most array elements plus object members in the body and in the inner oslo message, else `too_many_entries` (default 1,000,000). */
  maxEntries?: number;
}

/**
 * Decode one message.
 *
 * On the l2pop topic only the three l2pop casts exist (rpc.py `L2populationAgentNotifyAPI`);
 * any other method there is `unknown_method`. `report_state` and `network_delete` args are validated. Never throws.
 */
export function decodeMessage(raw: RawMessage, opts: DecodeOptions = {}): DecodeResult {
  const target = resolveTarget(raw.exchange, raw.routingKey);
  const topic = resolveTopic(raw.exchange, raw.routingKey);
  const oslo = decodeOslo(raw.body, opts.maxBytes, {
    maxDepth: opts.maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth,
    maxEntries: opts.maxEntries ?? DEFAULT_JSON_LIMITS.maxEntries,
  });
  if (!oslo.ok) return { ok: false, error: oslo.error, method: null, target };
  const msg = oslo.message;
  const common = { target, topic, oslo: msg };
  const invalid = (message: string): DecodeResult => ({
    ok: false,
    error: { reason: 'invalid_args', message: `${msg.method}: ${message}` },
    method: msg.method,
    target,
  });

  if (topic === L2POP_TOPIC && !(L2POP_METHODS as readonly string[]).includes(msg.method)) {
    return {
      ok: false,
      error: { reason: 'unknown_method', message: `"${msg.method}" is not an l2pop method (expected ${L2POP_METHODS.join(', ')})` },
      method: msg.method,
      target,
    };
  }
  switch (msg.method) {
    case 'add_fdb_entries':
    case 'remove_fdb_entries': {
      const parsed = fdbArgsSchema.safeParse(msg.args);
      if (!parsed.success) return invalid(zodProblem(parsed.error));
      return { ok: true, message: { kind: 'fdb', method: msg.method, ...common, entries: flattenFdb(parsed.data.fdb_entries) } };
    }
    case 'update_fdb_entries': {
      const parsed = updateArgsSchema.safeParse(msg.args);
      if (!parsed.success) return invalid(zodProblem(parsed.error));
      const { chg_ip, ...rest } = parsed.data.fdb_entries;
      return {
        ok: true,
        message: { kind: 'update_fdb', method: 'update_fdb_entries', ...common, chgIp: chg_ip ? flattenChgIp(chg_ip) : [], otherActions: Object.keys(rest) },
      };
    }
    case 'report_state': {
      const parsed = reportStateArgsSchema.safeParse(msg.args);
      if (!parsed.success) return invalid(zodProblem(parsed.error));
      return { ok: true, message: { kind: 'report_state', method: 'report_state', ...common, agent: toAgentReport(parsed.data) } };
    }
    case 'network_delete': {
      const parsed = networkDeleteArgsSchema.safeParse(msg.args);
      if (!parsed.success) return invalid(zodProblem(parsed.error));
      return { ok: true, message: { kind: 'network_delete', method: 'network_delete', ...common, network: parsed.data.network_id } };
    }
    default: {
      if (isDvrMethod(msg.method)) {
        const parsed = decodeDvrArgs(msg.method, msg.args);
        if (!parsed.ok) return invalid(parsed.error);
        return { ok: true, message: { kind: 'dvr', method: msg.method, ...common, dvr: parsed.payload } };
      }
      return { ok: true, message: { kind: 'other', method: msg.method, ...common } };
    }
  }
}

/** What the inspector indexes a message by: every network, VNI, VTEP and host it names. */
export interface MessageRefs {
  networks: string[];
  vnis: number[];
  vteps: string[];
  hosts: string[];
}

/**
 * Networks, VNIs, VTEPs and hosts a decoded message refers to (sorted, unique).
 * `vnis` comes from `segment_id`; chg_ip carries none, `vniOf` (the model's network -> VNI) fills it in.
 */
export function messageRefs(result: DecodeResult, vniOf?: (network: string) => number | null | undefined): MessageRefs {
  const networks = new Set<string>();
  const vnis = new Set<number>();
  const vteps = new Set<string>();
  const hosts = new Set<string>();
  const target = result.ok ? result.message.target : result.target;
  if (target && target !== 'fanout') hosts.add(target);
  if (result.ok) {
    const m = result.message;
    if (m.kind === 'fdb') {
      for (const e of m.entries) {
        networks.add(e.network);
        vteps.add(e.vtep);
        if (e.vni !== null) vnis.add(e.vni);
      }
    } else if (m.kind === 'update_fdb') {
      for (const c of m.chgIp) {
        networks.add(c.network);
        vteps.add(c.vtep);
      }
    } else if (m.kind === 'network_delete') {
      networks.add(m.network);
    } else if (m.kind === 'dvr') {
      if (m.dvr.method === 'dvr_mac_address_update') for (const x of m.dvr.macs) hosts.add(x.host);
      if ('host' in m.dvr) hosts.add(m.dvr.host);
    } else if (m.kind === 'report_state') {
      hosts.add(m.agent.host);
      if (m.agent.tunnelingIp) vteps.add(m.agent.tunnelingIp);
    } else {
      const a = m.oslo.args;
      for (const key of ['host', 'agent_host']) if (typeof a[key] === 'string') hosts.add(a[key] as string);
      for (const key of ['network_id']) if (typeof a[key] === 'string') networks.add(a[key] as string);
      for (const key of ['tunnel_ip']) if (typeof a[key] === 'string') vteps.add(a[key] as string);
    }
    if (vniOf) {
      for (const n of networks) {
        const v = vniOf(n);
        if (typeof v === 'number') vnis.add(v);
      }
    }
  }
  return {
    networks: [...networks].sort(),
    vnis: [...vnis].sort((a, b) => a - b),
    vteps: [...vteps].sort(),
    hosts: [...hosts].sort(),
  };
}
