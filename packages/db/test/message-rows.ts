/**
 * Stored messages at fleet scale from real bodies: templates (a real capture's messages, or the
 * fleet simulator's casts on lab3's templates) decoded once by the domain, then repeated as
 * MessageRecords with fresh ids, receive times 10 ms apart, the host reference spread over
 * `hosts` hosts (`compute-0000`...) and every `undecodableEvery`-th message a truncated body (an
 * undecodable one). For the inspector's filter tests and `npm run bench -- messages`.
 */
import { type DecodeResult, type MessageRefs, type ModelChange, decodeMessage, messageRefs, messageSearchText } from '@l2scope/domain';
import type { MessageRecord } from '../src/index';

/** A message body as captured. */
export interface MessageTemplate {
  exchange: string;
  routingKey: string;
  body: Uint8Array;
}

/** How {@link messageRows} spreads the messages. */
export interface MessageRowsOptions {
  /** Distinct host references (the host of message i is `compute-<i % hosts>`). */
  hosts: number;
  /** Receive time of the first message (epoch ms); message i is received 10 ms * i later. */
  start: number;
  /** Every n-th message is undecodable (0: none). */
  undecodableEvery: number;
  /** Id of the first message (default 1). */
  firstId?: number;
}

/** Host name of message `i`. */
export const hostOf = (i: number, hosts: number) => `compute-${String(i % hosts).padStart(4, '0')}`;

/** A decoded template without its oslo `_unique_id`: repeated rows are distinct messages, not redeliveries. */
function withoutIdentity(r: DecodeResult): DecodeResult {
  return r.ok ? { ...r, message: { ...r.message, oslo: { ...r.message.oslo, uniqueId: null } } } : r;
}

const NO_CHANGES: readonly ModelChange[] = [];

/**
 * `count` MessageRecords in batches of `batch`, from `templates` in turn.
 * @throws when `templates` is empty
 */
export function* messageRows(templates: readonly MessageTemplate[], count: number, o: MessageRowsOptions, batch = 2000): Generator<MessageRecord[]> {
  if (templates.length === 0) throw new Error('messageRows: no templates');
  const decoded = templates.map((t) => {
    const result = withoutIdentity(decodeMessage(t));
    return { t, result, refs: messageRefs(result) };
  });
  const badBody = new TextEncoder().encode('{"oslo.version": "2.0", "oslo.message": "{truncated');
  const bad = { exchange: 'q-agent-notifier-l2population-update_fanout', routingKey: '', body: badBody };
  const badResult = decodeMessage(bad);
  const first = o.firstId ?? 1;
  let out: MessageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const undecodable = o.undecodableEvery > 0 && i % o.undecodableEvery === o.undecodableEvery - 1;
    const d = decoded[i % decoded.length]!;
    const t = undecodable ? bad : d.t;
    const result = undecodable ? badResult : d.result;
    const host = hostOf(i, o.hosts);
    const refs: MessageRefs = undecodable ? { networks: [], vnis: [], vteps: [], hosts: [host] } : { ...d.refs, hosts: [host] };
    out.push({
      id: first + i,
      delivery: { receivedAt: o.start + i * 10, exchange: t.exchange, routingKey: t.routingKey, properties: {}, body: t.body, source: 'replay' },
      result,
      refs,
      raw: t.body,
      rawTruncated: false,
      search: messageSearchText(t.exchange, t.routingKey, result, refs),
      changes: NO_CHANGES,
    });
    if (out.length === batch) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}
