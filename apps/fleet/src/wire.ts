/**
 * The bytes neutron-server and its agents put on RabbitMQ, made from real captured messages
 * (templates, see `templates.ts`): only the values change (method, args, ids, host, VTEP, times),
 * the envelope, key order, context keys, separators and AMQP properties stay neutron's own.
 * Shapes: docs/wire-format.md (§2 envelope, §3 fdb_entries, §4 chg_ip, §5 report_state).
 */
import type { AmqpProperties } from '@l2scope/domain';
import { type PyJsonValue, pyJson, pyString } from './pyjson';

/** The two L2 agents the fleet runs (report_state `binary`). */
export type AgentKind = 'linuxbridge' | 'openvswitch';

/** One real message, cut down to what the builders need. */
export interface CastTemplate {
  /** The parsed inner oslo message of a real l2pop cast (key order kept). */
  inner: { readonly [key: string]: PyJsonValue };
  properties: AmqpProperties;
}

/** One real report_state, as text: the agent's configurations carry Python floats (`1.0`) a re-serialisation would lose. */
export interface ReportTemplate {
  /** The inner oslo message text of a real report_state with `start_flag: true`. */
  inner: string;
  properties: AmqpProperties;
}

/** The real messages everything is made from (fixtures/lab3.jsonl, fixtures/ovs-try.jsonl). */
export interface WireTemplates {
  cast: CastTemplate;
  report: Record<AgentKind, ReportTemplate>;
}

/** Ids of one l2pop cast: `_unique_id` is new per message (a duplicate too), the context is the driver's `rpc_ctx`, made once. */
export interface CastIds {
  /** 32 hex digits (oslo: `uuid.uuid4().hex`). */
  uniqueId: string;
  /** `req-<uuid>`. */
  requestId: string;
  /** Context creation time, `YYYY-MM-DD HH:MM:SS.ffffff` (UTC). */
  contextTimestamp: string;
}

/** The oslo envelope (`serialize_msg`): `{"oslo.version": "2.0", "oslo.message": "<inner JSON>"}`. */
export function envelope(inner: string): string {
  return `{"oslo.version": "2.0", "oslo.message": ${pyString(inner)}}`;
}

const CAST_SLOTS = ['method', 'args', '_unique_id', '_context_request_id', '_context_timestamp'] as const;
type CastSlot = (typeof CAST_SLOTS)[number];
/** A template cut into constant text and slots, once per template: a cast is then a join, not a re-serialisation of ~30 context keys. */
const compiled = new WeakMap<CastTemplate, (string | CastSlot)[]>();

function compile(t: CastTemplate): (string | CastSlot)[] {
  let parts = compiled.get(t);
  if (parts) return parts;
  parts = [];
  let text = '{';
  Object.keys(t.inner).forEach((k, i) => {
    text += `${i > 0 ? ', ' : ''}${pyString(k)}: `;
    if ((CAST_SLOTS as readonly string[]).includes(k)) {
      parts!.push(text, k as CastSlot);
      text = '';
    } else text += pyJson(t.inner[k]!);
  });
  parts.push(`${text}}`);
  for (const slot of CAST_SLOTS) if (!parts.includes(slot)) throw new Error(`l2pop cast template without "${slot}"`);
  compiled.set(t, parts);
  return parts;
}

/**
 * The body of an l2pop cast (`add_fdb_entries`, `remove_fdb_entries`, `update_fdb_entries`):
 * the template's inner message with `method`, `args` and the ids replaced in place (key order and
 * every other context key as the template has them).
 * @throws Error when the template lacks one of those keys
 */
export function castBody(t: CastTemplate, method: string, args: PyJsonValue, ids: CastIds): string {
  const values: Record<CastSlot, PyJsonValue> = {
    method,
    args,
    _unique_id: ids.uniqueId,
    _context_request_id: ids.requestId,
    _context_timestamp: ids.contextTimestamp,
  };
  let inner = '';
  for (const part of compile(t)) inner += (CAST_SLOTS as readonly string[]).includes(part) ? pyJson(values[part as CastSlot]) : part;
  return envelope(inner);
}

/** What one report_state says (mirrors neutron/agent/rpc.py `PluginReportStateAPI.report_state`). */
export interface ReportValues {
  host: string;
  vtep: string;
  /** Ports bound on the host (`configurations.devices`). */
  devices: number;
  /** First report after an agent start: `start_flag: true` and `resource_versions` are sent only then. */
  start: boolean;
  /** The agent's `uuid` (per agent process). */
  agentUuid: string;
  /** `args.time`, `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC, no zone). */
  time: string;
  /** `_msg_id`, 32 hex. */
  msgId: string;
  /** `_reply_q`, `reply_<32 hex>` (per agent process). */
  replyQ: string;
  uniqueId: string;
  /** The agent's context (made at agent start): `req-<uuid>`. */
  requestId: string;
  contextTimestamp: string;
}

const str = (key: string) => new RegExp(`"${key}": "[^"]*"`);
const set = (text: string, key: string, value: string) => {
  const re = str(key);
  if (!re.test(text)) throw new Error(`report_state template without "${key}"`);
  return text.replace(re, `"${key}": ${pyString(value)}`);
};

/**
 * The body of a report_state call: the real template's text with host, VTEP, devices, ids and
 * times replaced; after the first report the agent drops `resource_versions` and `start_flag`
 * (as the real controller's second report in fixtures/lab3.jsonl shows).
 * @throws Error when the template lacks one of the replaced keys
 */
export function reportBody(t: ReportTemplate, v: ReportValues): string {
  let text = t.inner;
  text = set(text, 'host', v.host);
  text = set(text, 'tunneling_ip', v.vtep);
  text = text.replace(/"devices": \d+/, `"devices": ${v.devices}`);
  text = set(text, 'uuid', v.agentUuid);
  text = set(text, 'time', v.time);
  text = set(text, '_msg_id', v.msgId);
  text = set(text, '_reply_q', v.replyQ);
  text = set(text, '_unique_id', v.uniqueId);
  text = set(text, '_context_request_id', v.requestId);
  text = set(text, '_context_timestamp', v.contextTimestamp);
  if (!v.start) text = text.replace('"start_flag": true, ', '').replace(/"resource_versions": \{[^{}]*\}, /, '');
  return envelope(text);
}
