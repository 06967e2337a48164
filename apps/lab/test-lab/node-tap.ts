/**
 * A second reader of l2scope's node exchange (`l2scope.node`) for lab tests: an exclusive,
 * auto-deleted queue bound to every snapshot (`snapshot.*`), so a test knows which node snapshots
 * the node agents actually published (e.g. which of them held a given vxlan device) without
 * asking the worker. Reads the lab's broker as the lab's admin user (`state.amqpUrl`).
 */
import amqp from 'amqplib';
import { NODE_EXCHANGE } from '@l2scope/domain';

/** One published node snapshot, as far as the tests need it. */
export interface TappedSnapshot {
  host: string;
  instance: string;
  seq: number;
  kind: 'full' | 'delta';
  /** The vxlan device names of its Linux bridge section (`[]` when the section or its `vxlan` list is absent: a delta that did not change it). */
  vxlan: string[];
  /** When the tap received it (epoch ms). */
  receivedAt: number;
}

/** A running tap. */
export interface NodeTap {
  /** Every snapshot received so far, in order. */
  readonly seen: TappedSnapshot[];
  /** Stop consuming and close the connection. */
  stop(): Promise<void>;
}

interface RawSnapshot {
  host?: unknown;
  instance?: unknown;
  seq?: unknown;
  kind?: unknown;
  linuxbridge?: { vxlan?: { name?: unknown }[] } | null;
}

/**
 * Bind a fresh queue to {@link NODE_EXCHANGE} (`snapshot.#`) and record what arrives. Messages
 * that are not JSON objects are skipped (the worker validates; this tap only counts).
 * @param amqpUrl the lab's broker URL with a user that may declare queues and bind them
 */
export async function startNodeTap(amqpUrl: string): Promise<NodeTap> {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange(NODE_EXCHANGE.name, NODE_EXCHANGE.type, { durable: NODE_EXCHANGE.durable, autoDelete: NODE_EXCHANGE.autoDelete });
  const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(q.queue, NODE_EXCHANGE.name, 'snapshot.#');
  const seen: TappedSnapshot[] = [];
  await ch.consume(
    q.queue,
    (m) => {
      if (!m) return;
      try {
        const s = JSON.parse(m.content.toString('utf8')) as RawSnapshot;
        if (typeof s.host !== 'string' || typeof s.seq !== 'number') return;
        seen.push({
          host: s.host,
          instance: String(s.instance),
          seq: s.seq,
          kind: s.kind === 'delta' ? 'delta' : 'full',
          vxlan: (s.linuxbridge?.vxlan ?? []).map((d) => String(d.name)),
          receivedAt: Date.now(),
        });
      } catch {
        // not JSON: not a snapshot this tap counts
      }
    },
    { noAck: true },
  );
  return {
    seen,
    stop: async () => {
      await ch.close().catch(() => {});
      await conn.close().catch(() => {});
    },
  };
}
