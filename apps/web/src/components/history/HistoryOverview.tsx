'use client';
/**
 * `/overview?at=T`: the cloud as of T from the stored history (`history.at`): the hosts the l2pop
 * model knew, the findings open then, and what changed between T and a second time (`?to=`, live
 * by default). Thin: the answer's shaping is in `history/time-range.ts` and the domain's `diffModels`.
 */
import Link from 'next/link';
import { useAsOf, useHistoryAt } from '@/hooks/use-as-of';
import { dateTime, hostHref, plural } from '@/lib/format';
import { Card, HostViewFrame } from '../host-view/HostViewFrame';
import { FindingCard } from '../host-view/FindingCard';
import { ChangesView } from './ChangesView';

/** The overview as of `at`. */
export function HistoryOverview({ at }: { at: string }) {
  const { to } = useAsOf();
  const q = useHistoryAt(at);
  const d = q.isPlaceholderData ? undefined : q.data;
  const now = Date.parse(at);
  const hosts = d ? [...d.model.hosts].sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)) : [];
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
                      <td>{h.name ? <Link href={`${hostHref(h.name)}?at=${encodeURIComponent(at)}`}>{h.name}</Link> : <span className="mono">{h.id}</span>}</td>
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
            {plural(d.findings.length, 'finding')} · the model and the findings are read from the stored history; live updates are paused.
          </p>
        </>
      )}
    </HostViewFrame>
  );
}
