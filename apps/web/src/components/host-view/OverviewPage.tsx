'use client';
/**
 * `/overview`: the cloud at a glance, from the host view kept live in the store. Drift items per
 * class over every host (a class filters the host list), flood-list problems, the open findings
 * (and the recently resolved ones), every host with a node agent (mode, drift, flood, convergence,
 * BUM), and the networks (links to their flood matrix).
 */
import { type DriftClass, type HostNodeSummary, NODE_REFUSAL_REASONS, type NodeRefusals, agentDownKey } from '@l2scope/domain';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { DRIFT_META, DRIFT_ORDER, FLOOD_MODE_LABEL, FOREIGN_MAC_META, worstClass } from '@/host-view/classes';
import { agentTypeText, overviewSyncClaim } from '@/host-view/evidence';
import { hostTxBum } from '@/host-view/bum';
import { findingAnchor } from '@/host-view/agent';
import { driftTotals } from '@/state/host-view';
import { networkMemberCounts, sortedNetworks } from '@/state/model';
import { useL2 } from '@/state/store';
import { ago, dateTime, hostHref, networkHref, networkLabel, perSecond, plural } from '@/lib/format';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useNow } from '@/hooks/use-live-query';
import { useAsOf } from '@/hooks/use-as-of';
import { HistoryOverview } from '../history/HistoryOverview';
import { ConvergenceFigures } from './Convergence';
import { FindingCard } from './FindingCard';
import { Card, HostViewFrame } from './HostViewFrame';

type HostFilter = DriftClass | 'flood-missing' | 'flood-excess' | 'problems' | null;

/** Whether a host is listed under a filter; `named`: hosts an open finding names. */
function matches(h: HostNodeSummary, f: HostFilter, named: ReadonlySet<string>): boolean {
  if (f === null) return true;
  if (f === 'flood-missing') return h.floodMissing > 0;
  if (f === 'flood-excess') return h.floodExcess > 0;
  if (f === 'problems') return h.driftTotal > 0 || h.floodMissing > 0 || h.floodExcess > 0 || named.has(h.host);
  return h.drift[f] > 0;
}

/**
 * The node messages the worker refused (docs/rabbitmq.md#refusals), one thin line beside the node
 * agents' status; nothing when none was refused.
 */
function RefusalLine({ refused }: { refused: NodeRefusals }) {
  const parts = NODE_REFUSAL_REASONS.filter((r) => refused[r] > 0).map((r) => `${refused[r]} ${r}`);
  if (parts.length === 0) return null;
  const total = NODE_REFUSAL_REASONS.reduce((n, r) => n + refused[r], 0);
  return (
    <span
      className="text-warn"
      data-testid="node-refusals"
      data-count={total}
      title="Node messages the worker refused: host_mismatch (user, routing key and body name different hosts), stale (not newer than the snapshot held), oversize (over the byte cap, not parsed), invalid (not a valid snapshot or BUM report). See the worker's log."
    >
      {' '}
      · {plural(total, 'node message')} refused ({parts.join(', ')})
    </span>
  );
}

/** The overview page: live, or as of the page's T (`?at=`, the time slider). */
export function OverviewPage() {
  const { at } = useAsOf();
  return at ? <HistoryOverview at={at} /> : <OverviewLive />;
}

function OverviewLive() {
  useSyncFeatures('nodes', 'model');
  const now = useNow();
  const status = useL2((s) => s.nodes.status);
  const error = useL2((s) => s.nodes.error);
  const view = useL2((s) => s.nodes.view);
  const model = useL2((s) => s.model.state);
  const [filter, setFilter] = useState<HostFilter>(null);

  const hosts = useMemo(() => [...view.hosts.values()].sort((a, b) => a.host.localeCompare(b.host)), [view.hosts]);
  const totals = useMemo(() => driftTotals(hosts), [hosts]);
  const floodMissing = hosts.reduce((n, h) => n + h.floodMissing, 0);
  const floodExcess = hosts.reduce((n, h) => n + h.floodExcess, 0);
  const named = useMemo(() => new Set(view.findings.flatMap((f) => f.hosts)), [view.findings]);
  const withProblems = hosts.filter((h) => matches(h, 'problems', named)).length;
  const shown = hosts.filter((h) => matches(h, filter, named));
  const sync = overviewSyncClaim(hosts.length, model.snapshot.hosts.length, withProblems);
  const none = hosts.length === 0;
  const reportedTypes = useMemo(() => new Map(model.snapshot.hosts.map((x) => [x.name, x.agentType] as const)), [model]);
  const networks = useMemo(() => sortedNetworks(model), [model]);
  const members = useMemo(() => networkMemberCounts(model), [model]);
  const toggle = (f: HostFilter) => setFilter((cur) => (cur === f ? null : f));

  return (
    <HostViewFrame crumbs={[{ label: 'Cloud overview' }]} testid="overview">
      {status !== 'ready' && (
        <p className={`pad ${status === 'error' ? 'text-bad' : 'muted'}`} data-testid="overview-status">
          {status === 'error' ? `Cannot load the node view: ${error}` : 'Loading the node view…'}
        </p>
      )}
      {status === 'ready' && hosts.length === 0 && (
        <Card>
          <p className="muted" data-testid="overview-empty">
            No node agent has reported yet: drift and flood lists need a node snapshot per hypervisor (run the l2scope node agent on each host, or load a
            support bundle with <code>--snapshots</code>).
          </p>
        </Card>
      )}

      <Card
        title="Drift by class"
        aside={
          <span className="muted small">
            {plural(hosts.length, 'host')} with a node agent ·{' '}
            <span className={sync.tone === 'ok' ? 'text-ok' : sync.tone === 'bad' ? 'text-bad' : undefined} data-testid="overview-sync" data-tone={sync.tone}>
              {sync.text}
            </span>
            {view.updatedAt && <> · updated {ago(view.updatedAt, now)}</>}
            <RefusalLine refused={view.refused} />
          </span>
        }
      >
        <div className="tiles">
          {DRIFT_ORDER.map((c) => {
            const n = totals[c];
            return (
              <button
                key={c}
                type="button"
                className={`tile${n > 0 ? ` tone-${DRIFT_META[c].tone}` : none ? ' idle' : ' zero'}${filter === c ? ' active' : ''}`}
                data-testid={`drift-count-${c}`}
                data-count={n}
                aria-pressed={filter === c}
                title={`${DRIFT_META[c].effect}. Click to list the hosts with ${c}.`}
                onClick={() => toggle(c)}
              >
                <span className="tile-n" title={none ? 'not analysed: no node agent has reported' : undefined}>
                  {none ? '—' : n}
                </span>
                <span className="tile-label">{DRIFT_META[c].label}</span>
                <code className="tile-code">{c}</code>
              </button>
            );
          })}
          <span className="tile-sep" aria-hidden />
          <button
            type="button"
            className={`tile${floodMissing > 0 ? ' tone-bad' : ' zero'}${filter === 'flood-missing' ? ' active' : ''}`}
            data-testid="flood-count-missing"
            data-count={floodMissing}
            aria-pressed={filter === 'flood-missing'}
            onClick={() => toggle('flood-missing')}
            title="Ideal flood recipients no BUM copy reaches, over all hosts and networks"
          >
            <span className="tile-n">{floodMissing}</span>
            <span className="tile-label">missing flood recipients</span>
            <code className="tile-code">flood.missing</code>
          </button>
          <button
            type="button"
            className={`tile${floodExcess > 0 ? ' tone-excess' : ' zero'}${filter === 'flood-excess' ? ' active' : ''}`}
            data-testid="flood-count-excess"
            data-count={floodExcess}
            aria-pressed={filter === 'flood-excess'}
            onClick={() => toggle('flood-excess')}
            title="Wasted BUM copies (recipients outside the ideal list), over all hosts and networks"
          >
            <span className="tile-n">{floodExcess}</span>
            <span className="tile-label">excess flood recipients</span>
            <code className="tile-code">flood.excess</code>
          </button>
        </div>
      </Card>

      <Card title={`Findings (${view.findings.length} open)`} testid="findings">
        {view.findings.length === 0 ? (
          <p className="text-ok small" data-testid="no-findings">
            ✓ No cross-host finding: every network’s hosts agree on l2pop, ARP responder, VXLAN device mode and UDP port.
          </p>
        ) : (
          <div className="findings">
            {view.findings.map((f) => (
              <FindingCard key={`${f.kind}/${f.network}`} f={f} now={now} />
            ))}
          </div>
        )}
        {view.resolved.length > 0 && (
          <details className="resolved">
            <summary className="small muted">Recently resolved ({view.resolved.length})</summary>
            <div className="findings">
              {view.resolved.map((f) => (
                <FindingCard key={`${f.kind}/${f.network}/${f.resolvedAt}`} f={f} now={now} />
              ))}
            </div>
          </details>
        )}
      </Card>

      <Card
        title="Hosts"
        aside={
          <span className="host-filter small">
            <button
              type="button"
              className={`btn small${filter === 'problems' ? ' btn-active' : ''}`}
              onClick={() => toggle('problems')}
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
              <th title="Cast → entry on the host">convergence</th>
              <th className="num" title="BUM frames/s sent (latest BUM report)">
                BUM tx
              </th>
              <th title="L2 agent liveness from report_state (down: no report for longer than agent_down_time)">agent</th>
              <th>snapshot</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((h) => (
              <HostRow key={h.host} h={h} now={now} reportedType={reportedTypes.get(h.host) ?? null} />
            ))}
            {shown.length === 0 && hosts.length > 0 && (
              <tr>
                <td colSpan={9} className="muted">
                  No host matches the filter.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </Card>

      {networks.length > 0 && (
        <Card title={`Networks (${networks.length})`}>
          <div className="net-links">
            {networks.map((n) => (
              <Link key={n.id} href={networkHref(n.id)} className="net-link" data-testid={`network-link-${n.id}`}>
                <strong>{networkLabel(n)}</strong>
                <span className="muted small">
                  {n.networkType} · {n.id.slice(0, 8)} · {plural(members.get(n.id) ?? 0, 'host')}
                </span>
              </Link>
            ))}
          </div>
        </Card>
      )}
    </HostViewFrame>
  );
}

function HostRow({ h, now, reportedType }: { h: HostNodeSummary; now: number; reportedType: string | null }) {
  const conv = useL2((s) => s.nodes.view.convergence.get(h.host));
  const bum = useL2((s) => s.nodes.view.bum.get(h.host));
  const worst = worstClass(h.drift);
  const tx = hostTxBum(bum);
  return (
    <tr
      data-testid="overview-host-row"
      data-host={h.host}
      data-drift={h.driftTotal}
      className={worst ? `row-${DRIFT_META[worst].tone}` : h.floodMissing ? 'row-bad' : h.floodExcess ? 'row-excess' : undefined}
    >
      <td>
        <Link href={hostHref(h.host)} className="strong" data-testid={`host-link-${h.host}`}>
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
      <td>
        <ConvergenceFigures host={h.host} c={conv} compact />
      </td>
      <td className="num mono">{perSecond(tx)}</td>
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
