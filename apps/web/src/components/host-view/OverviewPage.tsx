'use client';
/**
 * `/overview`: the cloud at a glance, from the host view kept live in the store. Drift items per
 * class over every host (a class filters the host list), flood-list problems, the open findings
 * (and the recently resolved ones), every host with a node agent (mode, drift, flood, convergence,
 * BUM), and the networks (links to their flood matrix).
 */
import { NODE_REFUSAL_REASONS, type NodeRefusals } from '@l2scope/domain';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { overviewSyncClaim } from '@/host-view/evidence';
import { driftTotals } from '@/state/host-view';
import { networkMemberCounts, sortedNetworks } from '@/state/model';
import { useL2 } from '@/state/store';
import { ago, networkHref, networkLabel, plural } from '@/lib/format';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useNow } from '@/hooks/use-live-query';
import { useAsOf } from '@/hooks/use-as-of';
import { HistoryOverview } from '../history/HistoryOverview';
import { FindingCard } from './FindingCard';
import { DriftTiles, type HostFilter, HostsCard, matchesFilter, nodeAgentCount } from './HostsTable';
import { Card, HostViewFrame } from './HostViewFrame';

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
  const named = useMemo(() => new Set(view.findings.flatMap((f) => f.hosts)), [view.findings]);
  const withProblems = hosts.filter((h) => matchesFilter(h, 'problems', named)).length;
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
            {nodeAgentCount(hosts.length)} ·{' '}
            <span className={sync.tone === 'ok' ? 'text-ok' : sync.tone === 'bad' ? 'text-bad' : undefined} data-testid="overview-sync" data-tone={sync.tone}>
              {sync.text}
            </span>
            {view.updatedAt && <> · updated {ago(view.updatedAt, now)}</>}
            <RefusalLine refused={view.refused} />
          </span>
        }
      >
        <DriftTiles hosts={hosts} totals={totals} filter={filter} onToggle={toggle} none={none} />
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

      <HostsCard hosts={hosts} named={named} filter={filter} setFilter={setFilter} now={now} at={null} reportedTypes={reportedTypes} />

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
