/**
 * The message inspector's row, built in one place: the worker makes it from a message it just
 * ingested (live `messages` push over socket.io), packages/db from a stored Message row and its
 * MessageRef rows (tRPC `messages.list` / `messages.get`). Both must show the same row for the same
 * AMQP message, so both call {@link summarizeMessage}. Pure.
 */
import type { MessageRefs } from './decode';
import type { MessageKind, MessageSummary } from './inspect';

/** What a {@link MessageSummary} is made of, whatever the source (a decode result or a database row). */
export interface MessageSummaryFields {
  /** Worker-assigned message id (also the model `seq` after it). */
  id: number;
  /** Epoch ms the worker received the message. */
  receivedAt: number;
  /** AMQP exchange, e.g. `q-agent-notifier-l2population-update_fanout`. */
  exchange: string;
  routingKey: string;
  /** oslo method, null when the body could not be decoded far enough to name one. */
  method: string | null;
  kind: MessageKind;
  /** `fanout`, the host of a host-directed cast, or null. */
  target: string | null;
  /** Why the message could not be decoded (`reason` as DecodeErrorReason); null when it was decoded. */
  error: { reason: string; message: string } | null;
  /** Body size in bytes as received. */
  size: number;
  /** `amqp` (live tap) or `replay`. */
  source: string;
  /** Networks, VNIs, VTEPs and hosts the message refers to, each sorted (as `messageRefs` returns them). */
  refs: MessageRefs;
}

/**
 * One inspector row: `ok` is `error === null`, the error rendered `<reason>: <message>` (the
 * format of `l2scope decode` too), the receive time as ISO-8601 UTC, the refs copied as given
 * (callers pass them sorted).
 */
export function summarizeMessage(f: MessageSummaryFields): MessageSummary {
  return {
    id: f.id,
    receivedAt: new Date(f.receivedAt).toISOString(),
    exchange: f.exchange,
    routingKey: f.routingKey,
    method: f.method,
    kind: f.kind,
    target: f.target,
    ok: f.error === null,
    error: f.error === null ? null : `${f.error.reason}: ${f.error.message}`,
    size: f.size,
    source: f.source,
    networks: f.refs.networks,
    vnis: f.refs.vnis,
    vteps: f.refs.vteps,
    hosts: f.refs.hosts,
  };
}
