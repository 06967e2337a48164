'use client';
/**
 * The overview's drift tiles and host table, shared by the live overview (the store's host view)
 * and the overview as of T (`history.overview`): the drift items per class over every host with a
 * node agent (a tile filters the table), and per host its mode, drift, flood problems, L2 agent
 * liveness and snapshot age, and its convergence lag and BUM rate sent. Live, the lag figures and
 * the BUM rate are read from the store per row; as of T both are given (the samples seen by T, each
 * host's last BUM report received at or before T) and host links keep `?at=`.
 */
import { type BumReport, type DriftClass, type HostConvergence, type HostNodeSummary, agentDownKey } from '@l2scope/domain';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { DRIFT_META, DRIFT_ORDER, FLOOD_MODE_LABEL, FOREIGN_MAC_META, worstClass } from '@/host-view/classes';
import { agentTypeText } from '@/host-view/evidence';
import { hostTxBum } from '@/host-view/bum';
import { findingAnchor } from '@/host-view/agent';
import { useL2 } from '@/state/store';
import { ago, dateTime, hostHref, perSecond, plural } from '@/lib/format';
import { ConvergenceFigures } from './Convergence';
import { Card } from './HostViewFrame';

/** What the host table lists: every host, the hosts with drift of a class or a flood problem, or any problem. */
export type HostFilter = DriftClass | 'flood-missing' | 'flood-excess' | 'problems' | null;

/** Whether a host is listed under a filter; `named`: hosts an open finding names. */
export function matchesFilter(h: HostNodeSummary, f: HostFilter, named: ReadonlySet<string>): boolean {
  if (f === null) return true;
  if (f === 'flood-missing') return h.floodMissing > 0;
  if (f === 'flood-excess') return h.floodExcess > 0;
  if (f === 'problems') return h.driftTotal > 0 || h.floodMissing > 0 || h.floodExcess > 0 || named.has(h.host);
  return h.drift[f] > 0;
}

/**
 * One tile per drift class (`data-testid="drift-count-<class>"`, `data-count`) and the flood
 * recipients missing / in excess over every host; a click toggles that filter.
 * @param none no host is analysed: the class and flood counts read "—" (not a green 0)
 */
export function DriftTiles({
  hosts,
  totals,
  filter,
  onToggle,
  none,
}: {
  hosts: readonly HostNodeSummary[];
  totals: Record<DriftClass, number>;
  filter: HostFilter;
  onToggle: (f: HostFilter) => void;
  none: boolean;
}) {
  const floodMissing = hosts.reduce((n, h) => n + h.floodMissing, 0);
  const floodExcess = hosts.reduce((n, h) => n + h.floodExcess, 0);
  const tile = { filter, onToggle, none };
  return (
    <div className="tiles">
      {DRIFT_ORDER.map((c) => (
        <CountTile
          key={c}
          {...tile}
          id={c}
          n={totals[c]}
          tone={DRIFT_META[c].tone}
          testId={`drift-count-${c}`}
          title={`${DRIFT_META[c].effect}. Click to list the hosts with ${c}.`}
          label={DRIFT_META[c].label}
          code={c}
        />
      ))}
      <span className="tile-sep" aria-hidden />
      <CountTile
        {...tile}
        id="flood-missing"
        n={floodMissing}
        tone="bad"
        testId="flood-count-missing"
        title="Ideal flood recipients no BUM copy reaches, over all hosts and networks"
        label="missing flood recipients"
        code="flood.missing"
      />
      <CountTile
        {...tile}
        id="flood-excess"
        n={floodExcess}
        tone="excess"
        testId="flood-count-excess"
        title="Wasted BUM copies (recipients outside the ideal list), over all hosts and networks"
        label="excess flood recipients"
        code="flood.excess"
      />
    </div>
  );
}

/**
 * One count tile (`data-testid`, `data-count`): toned when the count is above 0, else "zero", or
 * "idle" reading "—" when nothing is analysed; a click toggles its filter.
 */
function CountTile({
  id,
  n,
  tone,
  testId,
  title,
  label,
  code,
  filter,
  onToggle,
  none,
}: {
  id: Exclude<HostFilter, 'problems' | null>;
  n: number;
  tone: string;
  testId: string;
  title: string;
  label: string;
  code: string;
  filter: HostFilter;
  onToggle: (f: HostFilter) => void;
  none: boolean;
}) {
  return (
    <button
      type="button"
      className={`tile${n > 0 ? ` tone-${tone}` : none ? ' idle' : ' zero'}${filter === id ? ' active' : ''}`}
      data-testid={testId}
      data-count={n}
      aria-pressed={filter === id}
      title={title}
      onClick={() => onToggle(id)}
    >
      <span className="tile-n" title={none ? 'not analysed: no node agent has reported' : undefined}>
        {none ? '—' : n}
      </span>
      <span className="tile-label">{label}</span>
      <code className="tile-code">{code}</code>
    </button>
  );
}

/**
 * The "Hosts" card: the filter buttons and the table (`overview-hosts`, a row `overview-host-row`
 * per host with `data-host`, `data-drift`).
 * @param at null: live (convergence and BUM columns from the store); T (ISO-8601): as of T, ages
 *   measured from T, host links to the host page as of T
 * @param now epoch ms ages are measured from (T as of T)
 * @param reportedTypes the agent type each host reported in report_state, by host name
 * @param convergence as of T: the lag figures of T by host name (live: the store's)
 * @param bum as of T: each host's last BUM report at or before T, by host name (live: the store's)
 */
export function HostsCard({
  hosts,
  named,
  filter,
  setFilter,
  now,
  at,
  reportedTypes,
  convergence,
  bum,
  title = 'Hosts',
}: {
  hosts: readonly HostNodeSummary[];
  named: ReadonlySet<string>;
  filter: HostFilter;
  setFilter: (f: HostFilter) => void;
  now: number;
  at: string | null;
  reportedTypes: ReadonlyMap<string | null, string | null>;
  convergence?: ReadonlyMap<string, HostConvergence>;
  bum?: ReadonlyMap<string, BumReport>;
  title?: ReactNode;
}) {
  const withProblems = hosts.filter((h) => matchesFilter(h, 'problems', named)).length;
  const shown = hosts.filter((h) => matchesFilter(h, filter, named));
  const live = at === null;
  const columns = 9;
  return (
    <Card
      title={title}
      aside={
        <span className="host-filter small">
          <button
            type="button"
            className={`btn small${filter === 'problems' ? ' btn-active' : ''}`}
            onClick={() => setFilter(filter === 'problems' ? null : 'problems')}
            data-testid="filter-problems"
            aria-pressed={filter === 'problems'}
          >
            only hosts with problems ({withProblems})
          </button>
          {filter !== null && (
            <span className="filter-note" data-testid="host-filter" data-filter={filter}>
              showing {shown.length} of {hosts.length} · filter <code>{filter}</code>{' '}
              <button type="button" className="icon-btn" onClick={() => setFilter(null)} aria-label="Clear the filter" data-testid="host-filter-clear">
                ✕
              </button>
            </span>
          )}
        </span>
      }
    >
      <table className="grid hosts-table" data-testid="overview-hosts">
        <thead>
          <tr>
            <th>host</th>
            <th>VTEP</th>
            <th>mode</th>
            <th>drift</th>
            <th title="Flood list problems over all networks">flood</th>
            <th title={live ? 'Cast → entry on the host' : 'Cast → entry on the host, over the samples seen by T'}>convergence</th>
            <th className="num" title={live ? 'BUM frames/s sent (latest BUM report)' : 'BUM frames/s sent (last BUM report received at or before T)'}>
              BUM tx
            </th>
            <th title="L2 agent liveness from report_state (down: no report for longer than agent_down_time)">agent</th>
            <th>snapshot</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((h) =>
            live ? (
              <LiveHostRow key={h.host} h={h} now={now} reportedType={reportedTypes.get(h.host) ?? null} />
            ) : (
              <HostRow
                key={h.host}
                h={h}
                now={now}
                at={at}
                reportedType={reportedTypes.get(h.host) ?? null}
                extra={
                  <>
                    <td>
                      <ConvergenceFigures host={h.host} c={convergence?.get(h.host)} compact />
                    </td>
                    <BumTxCell report={bum?.get(h.host)} />
                  </>
                }
              />
            ),
          )}
          {shown.length === 0 && hosts.length > 0 && (
            <tr>
              <td colSpan={columns} className="muted">
                No host matches the filter.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {!live && hosts.length === 0 && <p className="muted">No host had a node agent’s analysis at this time.</p>}
    </Card>
  );
}

/** A live row: its convergence figures and BUM report from the store (a row re-renders alone). */
function LiveHostRow({ h, now, reportedType }: { h: HostNodeSummary; now: number; reportedType: string | null }) {
  const conv = useL2((s) => s.nodes.view.convergence.get(h.host));
  const bum = useL2((s) => s.nodes.view.bum.get(h.host));
  return (
    <HostRow
      h={h}
      now={now}
      at={null}
      reportedType={reportedType}
      extra={
        <>
          <td>
            <ConvergenceFigures host={h.host} c={conv} compact />
          </td>
          <BumTxCell report={bum} />
        </>
      }
    />
  );
}

/** A host's BUM frames/s sent over its report's interval (`host-bum-tx`, `data-bum-fps` with 3 decimals; empty without a usable report). */
function BumTxCell({ report }: { report: BumReport | undefined }) {
  const fps = hostTxBum(report);
  return (
    <td className="num mono" data-testid="host-bum-tx" data-bum-fps={fps === null ? '' : fps.toFixed(3)}>
      {perSecond(fps)}
    </td>
  );
}

/** A host's line; `extra`: the cells after the flood column (convergence and the BUM rate). */
function HostRow({ h, now, at, reportedType, extra }: { h: HostNodeSummary; now: number; at: string | null; reportedType: string | null; extra: ReactNode }) {
  const worst = worstClass(h.drift);
  const href = hostHref(h.host, at);
  return (
    <tr
      data-testid="overview-host-row"
      data-host={h.host}
      data-drift={h.driftTotal}
      className={worst ? `row-${DRIFT_META[worst].tone}` : h.floodMissing ? 'row-bad' : h.floodExcess ? 'row-excess' : undefined}
    >
      <td>
        <Link href={href} className="strong" data-testid={`host-link-${h.host}`}>
          {h.host}
        </Link>
        <div className="small muted">{agentTypeText(h.agentType, reportedType)}</div>
      </td>
      <td className="mono">{h.vtep ?? '—'}</td>
      <td>
        <div className="mode-mini">
          <span className={`badge ${h.l2pop === 'on' ? 'l2pop-on' : h.l2pop === 'off' ? 'l2pop-off' : 'l2pop-unknown'}`}>l2pop {h.l2pop}</span>
          <span className={`badge ${h.arpResponder === 'on' ? 'l2pop-on' : 'l2pop-unknown'}`}>ARP resp. {h.arpResponder}</span>
          <span className={`badge ${h.floodMode === 'multicast+unicast' ? 'tone-bad' : 'l2pop-unknown'}`} title={FLOOD_MODE_LABEL[h.floodMode]}>
            BUM {h.floodMode}
          </span>
        </div>
        <div className="small muted">{h.summary}</div>
      </td>
      <td>
        {h.driftTotal === 0 ? (
          <span className="text-ok">✓ 0</span>
        ) : (
          <span className="drift-counts">
            {DRIFT_ORDER.filter((c) => h.drift[c] > 0).map((c) => (
              <span key={c} className={`badge tone-${DRIFT_META[c].tone}`} title={DRIFT_META[c].effect}>
                {h.drift[c]} {c}
              </span>
            ))}
          </span>
        )}
        {(h.foreignMacs ?? 0) > 0 && (
          <span className={`badge tone-${FOREIGN_MAC_META.tone}`} title={FOREIGN_MAC_META.effect} data-testid="foreign-mac-count" data-count={h.foreignMacs}>
            {h.foreignMacs} foreign MAC{h.foreignMacs === 1 ? '' : 's'}
          </span>
        )}
      </td>
      <td>
        {h.floodMissing + h.floodExcess === 0 ? (
          <span className="text-ok">✓</span>
        ) : (
          <>
            {h.floodMissing > 0 && <span className="badge tone-bad">{h.floodMissing} missing</span>}{' '}
            {h.floodExcess > 0 && <span className="badge tone-excess">{h.floodExcess} excess</span>}
          </>
        )}
      </td>
      {extra}
      <td
        className={`small ${h.agent?.alive === false ? 'text-bad' : 'muted'}`}
        data-testid="host-agent"
        data-alive={h.agent ? String(h.agent.alive) : 'unknown'}
        title={h.agent ? `last report_state ${dateTime(h.agent.lastReportAt)}` : 'no report_state seen'}
      >
        {h.agent ? (
          h.agent.alive ? (
            `alive · ${ago(h.agent.lastReportAt, now)}`
          ) : (
            <a
              href={`#${findingAnchor(agentDownKey(h.host))}`}
              className="text-bad strong"
              data-testid="host-agent-finding-link"
              title="Open the agent_down finding"
            >
              down · {ago(h.agent.lastReportAt, now)}
            </a>
          )
        ) : (
          '—'
        )}
      </td>
      <td className="small muted" title={dateTime(h.snapshotAt)}>
        {ago(h.snapshotAt, now)}
      </td>
    </tr>
  );
}

/** "n hosts with a node agent" for a card's aside. */
export const nodeAgentCount = (n: number) => `${plural(n, 'host')} with a node agent`;
