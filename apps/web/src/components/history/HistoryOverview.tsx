'use client';
/**
 * `/overview?at=T`: the cloud as of T from the stored history: the drift per class and the hosts
 * with a node agent as their last analyses at or before T had them, with their lag figures over
 * the samples seen by T and their BUM rates from their last reports received by T (`history.overview`,
 * the live overview's tiles and table), the hosts the l2pop model knew and the findings open then
 * (`history.at`), and what changed between T and a second time (`?to=`, live
 * by default). Thin: the answer's shaping is in `history/time-range.ts` and the domain's `diffModels`.
 */
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useAsOf, useHistoryAt, useHistoryOverview } from '@/hooks/use-as-of';
import { dateTime, hostHref, plural } from '@/lib/format';
import { bumByHost } from '@/state/host-view';
import { Card, HostViewFrame } from '../host-view/HostViewFrame';
import { FindingCard } from '../host-view/FindingCard';
import { DriftTiles, type HostFilter, HostsCard, nodeAgentCount } from '../host-view/HostsTable';
import { ChangesView } from './ChangesView';

/** The overview as of `at`. */
export function HistoryOverview({ at }: { at: string }) {
  const { to } = useAsOf();
  const q = useHistoryAt(at);
  const d = q.isPlaceholderData ? undefined : q.data;
  const now = Date.parse(at);
  const hosts = d ? [...d.model.hosts].sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)) : [];
  const o = useHistoryOverview(at);
  const nodes = o.isPlaceholderData ? undefined : o.data;
  const [filter, setFilter] = useState<HostFilter>(null);
  const named = useMemo(() => new Set(d?.findings.flatMap((f) => f.hosts) ?? []), [d]);
  const reportedTypes = useMemo(() => new Map((d?.model.hosts ?? []).map((x) => [x.name, x.agentType] as const)), [d]);
  const convergence = useMemo(() => new Map((nodes?.convergence ?? []).map((c) => [c.host, c])), [nodes]);
  const bum = useMemo(() => bumByHost(nodes?.bum ?? []), [nodes]);
  return (
    <HostViewFrame crumbs={[{ label: `Cloud overview as of ${dateTime(at)}` }]} testid="overview-at" attrs={{ 'data-at': d?.at ?? '' }}>
      {q.isPending && <p className="muted pad">Loading the history as of {dateTime(at)}…</p>}
      {q.isError && <p className="pad text-bad">Cannot load the history: {q.error.message}</p>}
      {d && (
        <>
          {!d.exact && (
            <p className="pad text-warn" data-testid="history-inexact">
              {dateTime(at)} is older than the retained history (from {dateTime(d.bounds.from)}): records changed only before it may be missing.
            </p>
          )}
          <Card
            title="Drift by class"
            testid="history-drift"
            aside={
              <span className="muted small">
                {nodes ? `${nodeAgentCount(nodes.hosts.length)} · their last analysis at or before ${dateTime(at)}` : 'loading…'}
              </span>
            }
          >
            {o.isError && (
              <p className="text-bad">
                Cannot load the drift as of {dateTime(at)}: {o.error.message}
              </p>
            )}
            {nodes && (
              <DriftTiles
                hosts={nodes.hosts}
                totals={nodes.driftTotals}
                filter={filter}
                onToggle={(f) => setFilter((cur) => (cur === f ? null : f))}
                none={nodes.hosts.length === 0}
              />
            )}
          </Card>
          {nodes && (
            <HostsCard
              title={`Hosts with a node agent (${nodes.hosts.length})`}
              hosts={nodes.hosts}
              named={named}
              filter={filter}
              setFilter={setFilter}
              now={now}
              at={at}
              reportedTypes={reportedTypes}
              convergence={convergence}
              bum={bum}
            />
          )}
          <Card title={`Hosts the l2pop model knew (${hosts.length})`} aside={<span className="muted small">model seq {d.model.seq}</span>}>
            {hosts.length === 0 ? (
              <p className="muted">No host known at this time.</p>
            ) : (
              <table className="grid" data-testid="history-hosts">
                <thead>
                  <tr>
                    <th>host</th>
                    <th>VTEP</th>
                    <th>agent</th>
                    <th>l2pop</th>
                    <th>ARP responder</th>
                    <th className="num">networks</th>
                  </tr>
                </thead>
                <tbody>
                  {hosts.map((h) => (
                    <tr key={h.id} data-testid="history-host-row" data-host={h.name ?? h.id}>
                      <td>{h.name ? <Link href={hostHref(h.name, at)}>{h.name}</Link> : <span className="mono">{h.id}</span>}</td>
                      <td className="mono">{h.vtep ?? '—'}</td>
                      <td>{h.agentType ?? '—'}</td>
                      <td>{h.l2population === null ? '?' : h.l2population ? 'on' : 'off'}</td>
                      <td>{h.arpResponder === null ? '?' : h.arpResponder ? 'on' : 'off'}</td>
                      <td className="num">{Object.keys(h.networks).length}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card title={`Findings open as of ${dateTime(at)} (${d.findings.length})`}>
            {d.findings.length === 0 ? (
              <p className="text-ok" data-testid="history-no-findings">
                ✓ no open finding
              </p>
            ) : (
              <div className="findings" data-testid="history-findings">
                {d.findings.map((f) => (
                  <FindingCard key={`${f.kind}/${f.network}`} f={f} now={now} />
                ))}
              </div>
            )}
          </Card>
          <ChangesView from={at} to={to} bounds={d.bounds} findingsFrom={d.findings} />
          <p className="muted small pad">
            {plural(d.findings.length, 'finding')} · the model, the drift, the convergence samples, the BUM reports and the findings are read from the stored
            history; the convergence tracker's pending counts are not kept as history; live updates are paused.
          </p>
        </>
      )}
    </HostViewFrame>
  );
}
