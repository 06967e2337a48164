'use client';
/** A host's convergence figures: lag from a server cast to the entry on the host (p50 / p95 / max), samples, pending, timed out, already held. */
import type { HostConvergence } from '@l2scope/domain';
import { count, duration } from '@/lib/format';

const TITLE =
  'Time from the l2pop cast (worker receive time) to the node snapshot showing the entry (node clock): the agent’s reaction time plus the node agent’s notification delay. Off by the clock skew between worker and node.';

/** Inline figures (`data-testid="convergence-<host>"`); "no samples" when none. */
export function ConvergenceFigures({ host, c, compact = false }: { host: string; c: HostConvergence | undefined; compact?: boolean }) {
  const tone = !c ? '' : c.timedOut > 0 ? ' bad' : (c.p95Ms ?? 0) > 5_000 ? ' warn' : '';
  return (
    <span
      className={`conv${compact ? ' compact' : ''}${tone}`}
      data-testid={`convergence-${host}`}
      data-samples={c?.samples ?? 0}
      data-p50={c?.p50Ms ?? ''}
      data-p95={c?.p95Ms ?? ''}
      data-max={c?.maxMs ?? ''}
      data-pending={c?.pending ?? 0}
      title={TITLE}
    >
      {!c || (c.samples === 0 && c.pending === 0 && c.timedOut === 0) ? (
        <span className="muted">no samples</span>
      ) : (
        <>
          <span className="conv-fig">
            <span className="conv-k">p50</span> {duration(c.p50Ms)}
          </span>
          <span className="conv-fig">
            <span className="conv-k">p95</span> {duration(c.p95Ms)}
          </span>
          <span className="conv-fig">
            <span className="conv-k">max</span> {duration(c.maxMs)}
          </span>
          <span className="conv-fig muted">
            {count(c.samples)} {c.samples === 1 ? 'sample' : 'samples'}
          </span>
          {c.pending > 0 && <span className="conv-fig muted">{count(c.pending)} pending</span>}
          {c.timedOut > 0 && <span className="conv-fig text-bad">{count(c.timedOut)} timed out</span>}
          {(c.alreadyHeld ?? 0) > 0 && (
            <span className="conv-fig muted" title="entries a cast asked for that the host already held: nothing changed, not timed">
              {count(c.alreadyHeld!)} already held
            </span>
          )}
        </>
      )}
    </span>
  );
}
