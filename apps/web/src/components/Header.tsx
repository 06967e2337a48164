'use client';
/** Top bar: product, live socket state, tap state and counters, gaps and missing exchanges. */
import { clockTime, count, dateTime } from '@/lib/format';
import { useL2 } from '@/state/store';
import { useHeaderStatus } from '@/hooks/use-header-status';

export function Header() {
  const s = useHeaderStatus();
  const seq = useL2((st) => st.model.state.seq);

  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-name">l2scope</span>
        <span className="brand-sub">l2pop observatory</span>
      </div>

      <div className={`status-chip ${s.socket.tone}`} data-testid="live-status" data-state={s.socket.state} title={s.socket.title}>
        <span className="dot" aria-hidden />
        <span>{s.socket.label}</span>
      </div>

      <div
        className={`status-chip ${s.tap.tone}`}
        data-testid="tap-status"
        data-mode={s.tap.mode ?? 'unknown'}
        data-connected={s.tap.connected === null ? 'unknown' : String(s.tap.connected)}
        title={s.tap.title}
      >
        <span className="dot" aria-hidden />
        <span>{s.tap.label}</span>
      </div>

      <dl className="counters" aria-label="Tap counters">
        <Counter label="received" value={s.counters?.received} testid="counter-received" />
        <Counter label="undecodable" value={s.counters?.undecodable} testid="counter-undecodable" warn={(s.counters?.undecodable ?? 0) > 0} />
        <Counter label="dropped" value={s.counters?.dropped} testid="counter-dropped" warn={(s.counters?.dropped ?? 0) > 0} />
        <Counter label="expired" value={s.counters?.expired} testid="counter-expired" warn={(s.counters?.expired ?? 0) > 0} />
        {s.queueDepth !== null && <Counter label="queued" value={s.queueDepth} testid="counter-queued" />}
        <Counter label="model seq" value={seq} testid="model-seq" />
      </dl>

      <div className="alerts">
        {s.gap && (
          <span
            className={`alert ${s.gap.endedAt ? 'warn' : 'bad'}`}
            data-testid="tap-gap"
            title={`${dateTime(s.gap.startedAt)} → ${s.gap.endedAt ? dateTime(s.gap.endedAt) : 'now'}: ${s.gap.reason}${s.gapCount > 1 ? ` (${s.gapCount} recent gaps)` : ''}`}
          >
            {s.gap.endedAt ? 'Tap gap' : 'Tap down since'} {clockTime(s.gap.startedAt)}
            {s.gap.endedAt ? `–${clockTime(s.gap.endedAt)}` : ''} UTC: messages in this period were not seen
            {s.gapCount > 1 ? ` (+${s.gapCount - 1})` : ''}
          </span>
        )}
        {s.missingExchanges.length > 0 && (
          <span className="alert warn" data-testid="missing-exchanges" title="Exchanges not present on the broker, so not bound: their messages are not tapped">
            Missing exchanges: {s.missingExchanges.join(', ')}
          </span>
        )}
        {s.deniedExchanges.length > 0 && (
          <span className="alert warn" data-testid="denied-exchanges" title="The tap's RabbitMQ user may not read these exchanges: their messages are not tapped (see README: least privilege)">
            Not permitted: {s.deniedExchanges.join(', ')}
          </span>
        )}
        {s.dbError && (
          <span className="alert bad" data-testid="db-error" title={s.dbError}>
            Database unavailable: {s.dbError.slice(0, 120)}
          </span>
        )}
      </div>
    </header>
  );
}

function Counter({ label, value, testid, warn }: { label: string; value: number | null | undefined; testid: string; warn?: boolean }) {
  return (
    <div className={`counter${warn ? ' warn' : ''}`} data-testid={testid}>
      <dt>{label}</dt>
      <dd>{count(value)}</dd>
    </div>
  );
}
