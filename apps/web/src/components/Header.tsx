'use client';
/** Top bar: product, pages, the time slider (as of T), live socket state, tap state and counters, host view status, gaps and missing exchanges, the signed-in user. */
import { NODE_REFUSAL_REASONS } from '@l2scope/domain';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { clockTime, count, dateTime } from '@/lib/format';
import { useL2 } from '@/state/store';
import { useHeaderStatus } from '@/hooks/use-header-status';
import { DRIFT_META, type Tone, worstClass } from '@/host-view/classes';
import { HeaderSearch } from './HeaderSearch';
import { TimeControl } from './TimeControl';
import { UserChip, usePageUser } from './SessionUser';

const TONE_RANK: Record<Tone, number> = { bad: 0, warn: 1, info: 2 };

const PAGES = [
  { href: '/', label: 'Topology', testid: 'nav-topology' },
  { href: '/overview', label: 'Overview', testid: 'nav-overview' },
  { href: '/dvr', label: 'DVR', testid: 'nav-dvr' },
] as const;

/** The top bar of every page. */
export function Header() {
  const s = useHeaderStatus();
  // a page that does not sync the model (overview, host pages) still knows the stored model's seq
  // from the persisted stats (`stats.get`: the last message folded into the model projection)
  const seq = useL2((st) => Math.max(st.model.state.seq, st.live.modelSeq, st.live.persisted?.seq ?? 0));
  const path = usePathname();
  const user = usePageUser();
  // the audit log is for operators and admins (docs/auth.md#roles)
  const pages = user && !user.anonymous && user.role !== 'viewer' ? [...PAGES, { href: '/audit', label: 'Audit', testid: 'nav-audit' }] : PAGES;

  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-name">l2scope</span>
        <span className="brand-sub">l2pop observatory</span>
      </div>

      <nav className="nav" aria-label="Pages">
        {pages.map((p) => (
          <Link
            key={p.href}
            href={p.href}
            // no prefetch as the page loads: each is a server render competing with the first model's requests
            prefetch={false}
            className={`nav-link${path === p.href ? ' active' : ''}`}
            aria-current={path === p.href ? 'page' : undefined}
            data-testid={p.testid}
          >
            {p.label}
          </Link>
        ))}
      </nav>
      <HeaderSearch />
      <TimeControl />
      <NodesChip />

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
          <span
            className="alert warn"
            data-testid="denied-exchanges"
            title="The tap's RabbitMQ user may not read these exchanges: their messages are not tapped (see README: least privilege)"
          >
            Not permitted: {s.deniedExchanges.join(', ')}
          </span>
        )}
        {s.dbError && (
          <span className="alert bad" data-testid="db-error" title={s.dbError}>
            Database unavailable: {s.dbError.slice(0, 120)}
          </span>
        )}
      </div>
      <UserChip />
    </header>
  );
}

/** Host view at a glance: drift items and open findings over the cloud, linking to the overview. */
function NodesChip() {
  const status = useL2((s) => s.nodes.status);
  const view = useL2((s) => s.nodes.view);
  if (status !== 'ready' || view.hosts.size === 0) return null;
  let drift = 0;
  let flood = 0;
  let worst: Tone | null = null;
  for (const h of view.hosts.values()) {
    drift += h.driftTotal;
    flood += h.floodExcess + h.floodMissing;
    const w = worstClass(h.drift);
    if (w && (worst === null || TONE_RANK[DRIFT_META[w].tone] < TONE_RANK[worst])) worst = DRIFT_META[w].tone;
  }
  const findings = view.findings.length;
  const refused = NODE_REFUSAL_REASONS.reduce((n, r) => n + view.refused[r], 0);
  // learned-only drift (flood-and-learn) alone is information, not a problem
  const tone = findings > 0 || flood > 0 || worst === 'bad' ? 'bad' : worst === 'warn' ? 'warn' : 'ok';
  return (
    <Link
      href="/overview"
      prefetch={false}
      className={`status-chip link ${tone}`}
      data-testid="nodes-status"
      data-drift={drift}
      data-findings={findings}
      data-refused={refused}
      title={`${view.hosts.size} host(s) with a node agent: ${drift} drift item(s), ${flood} flood-list problem(s), ${findings} open finding(s), ${refused} node message(s) refused. Open the cloud overview.`}
    >
      <span className="dot" aria-hidden />
      <span>
        {drift === 0 && findings === 0 && flood === 0 ? 'Nodes in sync' : `Drift ${drift}${flood ? ` · flood ${flood}` : ''} · findings ${findings}`}
        {refused > 0 && ` · refused ${refused}`}
      </span>
    </Link>
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
