/**
 * What the message inspector shows of a message, and the live-update protocol between the
 * worker and browsers (socket.io). Shared by apps/worker (producer) and apps/web (consumer).
 */
import type { DecodeResult, MessageRefs } from './decode';
import type { ModelChange } from './model';
import type { NodesLiveUpdate } from './node/summary';

/** Kind of a stored message: the decoded kind, or `undecodable`. */
export type MessageKind = 'fdb' | 'update_fdb' | 'report_state' | 'other' | 'undecodable';

/** One inspector row. `id` is the worker-assigned message id (also the model seq). */
export interface MessageSummary {
  id: number;
  /** ISO-8601 receive time. */
  receivedAt: string;
  exchange: string;
  routingKey: string;
  method: string | null;
  kind: MessageKind;
  target: string | null;
  ok: boolean;
  /** `<reason>: <message>` when undecodable. */
  error: string | null;
  /** Body size in bytes. */
  size: number;
  /** "amqp" or "replay". */
  source: string;
  networks: string[];
  vnis: number[];
  vteps: string[];
  hosts: string[];
}

/** Kind of a decode result. */
export function messageKind(result: DecodeResult): MessageKind {
  return result.ok ? result.message.kind : 'undecodable';
}

/**
 * Lower-case text searched by the inspector's free-text filter: exchange, routing key, method,
 * target, refs, every MAC and IP of fdb entries, the agent's host, the error. Bounded to 8 KiB.
 */
export function messageSearchText(exchange: string, routingKey: string, result: DecodeResult, refs: MessageRefs): string {
  const parts: string[] = [exchange, routingKey];
  if (result.ok) {
    const m = result.message;
    parts.push(m.method, m.target ?? '');
    if (m.kind === 'fdb') for (const e of m.entries) parts.push(e.mac, e.ip);
    else if (m.kind === 'update_fdb') for (const c of m.chgIp) for (const p of [...c.before, ...c.after]) parts.push(p.mac, p.ip);
    else if (m.kind === 'report_state') parts.push(m.agent.host, m.agent.agentType, m.agent.binary);
    else parts.push(JSON.stringify(m.oslo.args).slice(0, 4096));
  } else {
    parts.push(result.method ?? '', result.error.reason, result.error.message);
  }
  parts.push(...refs.networks, ...refs.vteps, ...refs.hosts, ...refs.vnis.map(String));
  return [...new Set(parts.filter(Boolean))].join(' ').toLowerCase().slice(0, 8192);
}

/** Counters and state of the worker, shown in the UI header. */
export interface TapStats {
  /** "amqp" (live tap), "replay" (in-process replay) or "idle". */
  mode: 'amqp' | 'replay' | 'idle';
  /** Broker connection up (always true for an in-process replay). */
  connected: boolean;
  /** Messages received since the database was created. */
  received: number;
  /** Messages that could not be decoded (kept raw). */
  undecodable: number;
  /** Messages the broker dropped from the tap queue because it was full (x-overflow drop-head). */
  dropped: number;
  /** Messages that expired in the tap queue before the worker took them (TTL). */
  expired: number;
  /** Messages waiting in the tap queue at the last check, null if unknown. */
  queueDepth: number | null;
  /** Exchanges not (yet) present on the broker, so not bound (retried). */
  missingExchanges: string[];
  /** Exchanges the tap's RabbitMQ user may not read, so not tapped. */
  deniedExchanges: string[];
  /** Disconnections of the tap, most recent first (bounded). */
  gaps: TapGapView[];
  /** Id of the last persisted message. */
  seq: number;
}

/** A period during which the tap was disconnected (messages then were not seen). */
export interface TapGapView {
  id: number;
  startedAt: string;
  endedAt: string | null;
  reason: string;
}

/** socket.io events the worker emits, batched in ~50 ms windows. */
export interface LiveServerEvents {
  /** New messages (oldest first). `skipped` > 0 when a burst was thinned: refetch history through tRPC. */
  messages: (batch: { messages: MessageSummary[]; skipped: number }) => void;
  /** Model changes up to `seq` (coalesced per record within the window; absolute values). */
  model: (batch: { seq: number; changes: ModelChange[] }) => void;
  stats: (stats: TapStats) => void;
  /** Node agents' view: analyses, findings, convergence, BUM (coalesced per host within the window). */
  nodes: (update: NodesLiveUpdate) => void;
}
