/**
 * What the worker checks before it takes a message from `l2scope.node` (docs/rabbitmq.md#identity):
 * the raw length against the cap (never parsed beyond it), the publishing user (`user_id`) against
 * the routing key's host, the body against its schema, the body's host against the routing key's.
 * Staleness needs the held state and is checked by the host monitor. Also the refusal log: one
 * line per reason per minute.
 */
import {
  type BumReport,
  NODE_MESSAGE_MAX_BYTES,
  type NodeRefusalReason,
  type NodeSnapshot,
  checkJsonLimits,
  nodeIdentityMismatch,
  parseBumReport,
  parseNodeRoutingKey,
  parseNodeSnapshot,
} from '@l2scope/domain';
import type { Delivery } from './delivery';

/** A node message admitted (validated, its host agreed on by user, routing key and body), or why not. */
export type NodeAdmission =
  { ok: true; kind: 'snapshot'; body: NodeSnapshot } | { ok: true; kind: 'bum'; body: BumReport } | { ok: false; reason: NodeRefusalReason; why: string };

/** Options of {@link admitNodeMessage}. */
export interface NodeAdmissionOptions {
  /** Cap on the raw body (bytes, default 8 MiB). */
  maxBytes?: number;
  /** Explicit RabbitMQ user -> host map (the convention `l2scope-agent-<host>` covers the others). */
  users?: Readonly<Record<string, string>>;
}

/**
 * Check one delivery from the node exchange, in this order: `oversize` (raw length, before
 * parsing), `invalid` routing key, `host_mismatch` of user and routing key (before parsing),
 * `invalid` body (JSON deeper or larger than domain `checkJsonLimits` allows, not JSON, or not a valid snapshot / BUM report), `host_mismatch` of body and
 * routing key. Never throws.
 */
export function admitNodeMessage(d: Pick<Delivery, 'routingKey' | 'properties' | 'body'>, o: NodeAdmissionOptions = {}): NodeAdmission {
  const max = o.maxBytes ?? NODE_MESSAGE_MAX_BYTES;
  if (d.body.byteLength > max) return { ok: false, reason: 'oversize', why: `${d.body.byteLength} bytes, over the cap of ${max} bytes: not parsed` };
  const key = parseNodeRoutingKey(d.routingKey);
  if (!key) return { ok: false, reason: 'invalid', why: 'not a node routing key (snapshot.<host> or bum.<host>)' };
  const userId = d.properties.userId;
  const early = nodeIdentityMismatch({ userId, keyHost: key.host, bodyHost: key.host, users: o.users });
  if (early) return { ok: false, reason: 'host_mismatch', why: early };
  let json: unknown;
  try {
    const text = Buffer.from(d.body).toString('utf8');
    // hostile until bounded: refuse deep or huge JSON before parsing it (docs/wire-format.md#poison-input)
    const problem = checkJsonLimits(text);
    if (problem) return { ok: false, reason: 'invalid', why: `${problem.reason}: ${problem.message}` };
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid', why: `body is not JSON (${d.body.byteLength} bytes)` };
  }
  let admitted: NodeAdmission;
  try {
    admitted = key.kind === 'bum' ? { ok: true, kind: 'bum', body: parseBumReport(json) } : { ok: true, kind: 'snapshot', body: parseNodeSnapshot(json) };
  } catch (err) {
    return { ok: false, reason: 'invalid', why: (err as Error).message.slice(0, 300) };
  }
  const mismatch = nodeIdentityMismatch({ userId, keyHost: key.host, bodyHost: admitted.body.host, users: o.users });
  if (mismatch) return { ok: false, reason: 'host_mismatch', why: mismatch };
  return admitted;
}

/** Logs refusals at most once per reason per minute; the next line says how many went unlogged. */
export class RefusalLog {
  private readonly last = new Map<NodeRefusalReason, { at: number; quiet: number }>();

  constructor(private readonly log: (line: string) => void) {}

  /** Note one refusal of `d` (logged, or counted as quiet within the minute). */
  note(reason: NodeRefusalReason, d: Pick<Delivery, 'routingKey' | 'properties'>, why: string, now = Date.now()): void {
    const last = this.last.get(reason);
    if (last && now - last.at < 60_000) {
      last.quiet++;
      return;
    }
    const quiet = last?.quiet ? ` (${last.quiet} more ${reason} refusals not logged in the last minute)` : '';
    this.last.set(reason, { at: now, quiet: 0 });
    this.log(`nodes: refused ${reason}: ${d.routingKey} from user ${d.properties.userId ?? '(none)'}: ${why}${quiet}`);
  }
}
