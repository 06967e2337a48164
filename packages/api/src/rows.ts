/** Database rows -> the shapes the dashboard shows. */
import type { MessageKind, MessageSummary } from '@l2scope/domain';

interface MessageRow {
  id: bigint;
  receivedAt: Date;
  exchange: string;
  routingKey: string;
  method: string | null;
  kind: string;
  target: string | null;
  ok: boolean;
  errorReason: string | null;
  error: string | null;
  size: number;
  source: string;
  refs: { kind: string; value: string }[];
}

/** The columns `toSummary` needs (a Prisma `select`). */
export const summarySelect = {
  id: true,
  receivedAt: true,
  exchange: true,
  routingKey: true,
  method: true,
  kind: true,
  target: true,
  ok: true,
  errorReason: true,
  error: true,
  size: true,
  source: true,
  refs: { select: { kind: true, value: true } },
} as const;

/** An inspector row from a Message row with its refs. */
export function toSummary(m: MessageRow): MessageSummary {
  const refs = (kind: string) => m.refs.filter((r) => r.kind === kind).map((r) => r.value).sort();
  return {
    id: Number(m.id),
    receivedAt: m.receivedAt.toISOString(),
    exchange: m.exchange,
    routingKey: m.routingKey,
    method: m.method,
    kind: m.kind as MessageKind,
    target: m.target,
    ok: m.ok,
    error: m.ok ? null : `${m.errorReason}: ${m.error}`,
    size: m.size,
    source: m.source,
    networks: refs('network'),
    vnis: refs('vni').map(Number).sort((a, b) => a - b),
    vteps: refs('vtep'),
    hosts: refs('host'),
  };
}
