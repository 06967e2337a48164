/**
 * What the worker checks before it takes a command reply from `l2scope.node` (`reply.<host>`): the
 * same identity rule as snapshots (docs/rabbitmq.md#identity: the publishing user's host must be
 * the routing key's host and the body's host), a size cap, the JSON limits, and
 * `commandReplySchema`. Refusals use the node refusal reasons and are counted with them.
 */
import { type CommandReply, type NodeRefusalReason, checkJsonLimits, commandReplySchema, nodeIdentityMismatch, parseReplyRoutingKey } from '@l2scope/domain';
import type { Delivery } from '../delivery';

/** Cap on one reply's body (bytes): a plan with its diff fits well under it. */
export const REPLY_MAX_BYTES = 256 * 1024;

/** A reply admitted, or why not. */
export type ReplyAdmission = { ok: true; reply: CommandReply } | { ok: false; reason: NodeRefusalReason; why: string };

/**
 * Check one delivery with a `reply.<host>` routing key, in this order: `oversize`, `invalid`
 * routing key, `host_mismatch` of user and key (before parsing), `invalid` body (JSON limits,
 * not JSON, not a {@link CommandReply}), `host_mismatch` of body and key. Never throws.
 */
export function admitReply(d: Pick<Delivery, 'routingKey' | 'properties' | 'body'>, users?: Readonly<Record<string, string>>): ReplyAdmission {
  if (d.body.byteLength > REPLY_MAX_BYTES)
    return { ok: false, reason: 'oversize', why: `${d.body.byteLength} bytes, over the reply cap of ${REPLY_MAX_BYTES} bytes: not parsed` };
  const key = parseReplyRoutingKey(d.routingKey);
  if (!key) return { ok: false, reason: 'invalid', why: 'not a reply routing key (reply.<host>)' };
  const userId = d.properties.userId;
  const early = nodeIdentityMismatch({ userId, keyHost: key.host, bodyHost: key.host, users });
  if (early) return { ok: false, reason: 'host_mismatch', why: early };
  let json: unknown;
  try {
    const text = Buffer.from(d.body).toString('utf8');
    const problem = checkJsonLimits(text);
    if (problem) return { ok: false, reason: 'invalid', why: `${problem.reason}: ${problem.message}` };
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid', why: `body is not JSON (${d.body.byteLength} bytes)` };
  }
  const parsed = commandReplySchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'invalid', why: parsed.error.message.slice(0, 300) };
  const mismatch = nodeIdentityMismatch({ userId, keyHost: key.host, bodyHost: parsed.data.host, users });
  if (mismatch) return { ok: false, reason: 'host_mismatch', why: mismatch };
  return { ok: true, reply: parsed.data };
}
