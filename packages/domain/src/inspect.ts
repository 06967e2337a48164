/**
 * What the message inspector shows of a message (its row, its kind, its search text). Shared by
 * apps/worker (producer), packages/api and apps/web; the live push of the rows is in live.ts.
 */
import type { DecodeResult, MessageRefs } from './decode';

/** Kind of a stored message: the decoded kind, or `undecodable`. */
export type MessageKind = 'fdb' | 'update_fdb' | 'report_state' | 'network_delete' | 'dvr' | 'other' | 'undecodable';

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
    else if (m.kind === 'network_delete') parts.push(m.network);
    else parts.push(JSON.stringify(m.oslo.args).slice(0, 4096));
  } else {
    parts.push(result.method ?? '', result.error.reason, result.error.message);
  }
  // one by one: a cast naming 200,000 VTEPs is within the decode caps, and spreading that many arguments overflows the stack
  for (const list of [refs.networks, refs.vteps, refs.hosts, refs.vnis.map(String)]) for (const x of list) parts.push(x);
  return [...new Set(parts.filter(Boolean))].join(' ').toLowerCase().slice(0, 8192);
}
