'use client';
/**
 * `/networks/<network>`: the flood matrix of a network (rows: member hosts with a node agent, the
 * senders; columns: the VTEPs and multicast groups they flood to or should flood to), each cell
 * coloured by the recipient's class in the sender's flood list and carrying the measured BUM rate;
 * the drift of the network per host and its findings. Refetched on live node updates; as of a past
 * T (`?at=`, docs/operations.md#history) it shows the stored history instead.
 */
import { type DriftClass, type DriftItem, FLOOD_MAC } from '@l2scope/domain';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { DRIFT_META, DRIFT_ORDER, worstClass } from '@/host-view/classes';
import { networkDriftClaim } from '@/host-view/evidence';
import { type CellState, type MatrixCell, floodMatrix } from '@/host-view/flood-matrix';
import { toBumReport } from '@/state/host-view';
import { useL2 } from '@/state/store';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { dateTime, hostHref, perSecond, plural } from '@/lib/format';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useAsOf, useHistoryAt } from '@/hooks/use-as-of';
import { useNow, useRefetchOnChange } from '@/hooks/use-live-query';
import { useVtepNames } from '@/hooks/use-vtep-names';
import { useNeutronNames } from '@/hooks/use-neutron-names';
import { CELL_TEXT } from './FloodListView';
import { FindingCard } from './FindingCard';
import { Card, HostViewFrame } from './HostViewFrame';
import { NetworkToggle } from '../toggle/NetworkToggle';
import { NetworkPorts } from '../neutron/NetworkPorts';

type NetworkData = RouterOutputs['nodes']['network'];

const CELL_ICON: Record<CellState, string> = { both: '✓', expected: '◌', actual: '↗', excess: '+', missing: '✗', none: '' };
const LEGEND: CellState[] = ['both', 'expected', 'actual', 'missing', 'excess'];

function errorCode(err: unknown): string | undefined {
  return (err as { data?: { code?: string } } | null)?.data?.code;
}

/** The network page of `network`: live, or as of the page's T (`?at=`, the time slider). */
export function NetworkPage({ network }: { network: string }) {
  const { at } = useAsOf();
  return at ? <NetworkPageAt network={network} at={at} /> : <NetworkPageLive network={network} />;
}

/** Live: `nodes.network`, refetched on live node and model updates. */
function NetworkPageLive({ network }: { network: string }) {
  useSyncFeatures('nodes', 'model');
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.nodes.network.queryOptions({ network }), retry: (n, err) => errorCode(err) !== 'NOT_FOUND' && n < 2 });
  const rev = useL2((s) => s.nodes.rev);
  const modelSeq = useL2((s) => Math.max(s.model.state.seq, s.live.modelSeq));
  useRefetchOnChange(rev, q.refetch, 300);
  useRefetchOnChange(modelSeq, q.refetch, 1_000);
  return <NetworkFrame network={network} at={null} q={q} />;
}

/**
 * As of T: `history.network` (each host's analysis and BUM report stored at or before T, the
 * findings open at T). Not refetched on live updates; the previous T's answer stays while the next loads.
 */
function NetworkPageAt({ network, at }: { network: string; at: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.history.network.queryOptions({ network, at }),
    retry: (n, err) => errorCode(err) !== 'NOT_FOUND' && n < 2,
    placeholderData: (prev) => prev,
  });
  return <NetworkFrame network={network} at={at} q={q} />;
}

/** What the frame reads of either query: `nodes.network` (live) or `history.network` (as of T). */
interface NetworkQuery {
  data: NetworkData | undefined;
  isPending: boolean;
  isError: boolean;
  error: { message: string } | null;
}

function NetworkFrame({ network, at, q }: { network: string; at: string | null; q: NetworkQuery }) {
  const label = q.data?.network.vni !== null && q.data?.network.vni !== undefined ? `VNI ${q.data.network.vni}` : `network ${network.slice(0, 8)}`;
  const when = at ? ` as of ${dateTime(at)}` : '';
  return (
    <HostViewFrame
      crumbs={[{ href: at ? `/overview?at=${encodeURIComponent(at)}` : '/overview', label: 'Overview' }, { label: label }]}
      testid="network-page"
      attrs={{ 'data-network': network, ...(at ? { 'data-at': at } : {}) }}
    >
      {q.isPending && (
        <p className="muted pad">
          Loading network {network}
          {when}…
        </p>
      )}
      {q.isError && (
        <p className={`pad ${errorCode(q.error) === 'NOT_FOUND' ? 'muted' : 'text-bad'}`} data-testid="network-error">
          {errorCode(q.error) === 'NOT_FOUND'
            ? `No network ${network} in the l2pop model${when}.`
            : `Cannot load network ${network}${when}: ${q.error?.message}`}
        </p>
      )}
      {q.data && !q.isError && <NetworkBody d={q.data} at={at} />}
    </HostViewFrame>
  );
}

/** The hosts with a port on `network` in the l2pop model: live, or as of T (`history.at`). */
function useMemberCount(network: string, at: string | null): number {
  const live = useL2((s) => {
    let n = 0;
    for (const h of s.model.state.snapshot.hosts) if (h.networks[network]) n++;
    return n;
  });
  const past = useHistoryAt(at).data?.model.hosts;
  if (!at) return live;
  let n = 0;
  for (const h of past ?? []) if (h.networks[network]) n++;
  return n;
}

function NetworkBody({ d, at }: { d: NetworkData; at: string | null }) {
  const liveNow = useNow();
  const now = at ? Date.parse(at) : liveNow;
  const vtepName = useVtepNames();
  const names = useNeutronNames();
  const netName = names?.network(d.network.id)?.name;
  const members = useMemberCount(d.network.id, at);
  // BUM reports: live, the store's first (the database copy may lag); as of T, the last stored at or before T
  const liveBum = useL2((s) => s.nodes.view.bum);
  const matrix = useMemo(
    () =>
      floodMatrix(
        d.hosts.map((h) => ({ ...h, bum: (at ? undefined : liveBum.get(h.host)) ?? toBumReport(h.bum) })),
        d.network.vni,
      ),
    [d, liveBum, at],
  );
  const driftCount = d.hosts.reduce((n, h) => n + h.drift.length, 0);
  const driftClaim = networkDriftClaim(d.hosts.length, Math.max(members, d.hosts.length), driftCount);
  const worstTone = useMemo(() => {
    const counts = Object.fromEntries(DRIFT_ORDER.map((c) => [c, 0])) as Record<DriftClass, number>;
    for (const h of d.hosts) for (const x of h.drift) counts[x.class]++;
    const w = worstClass(counts);
    return w ? DRIFT_META[w].tone : 'ok';
  }, [d]);
  const withReport = matrix.rows.filter((r) => r.bum).length;

  return (
    <>
      <Card className="host-head">
        <div className="title-row">
          <h1 className="page-title">{d.network.vni !== null ? `VNI ${d.network.vni}` : 'VNI ?'}</h1>
          {netName && (
            <span className="network-name" data-testid="network-name">
              {netName}
            </span>
          )}
          <span className="chip">{d.network.networkType ?? 'type ?'}</span>
          <span className="mono muted">{d.network.id}</span>
          {at && (
            <span
              className="badge tone-info"
              data-testid="network-as-of"
              data-at={at}
              title="Stored history: each host's analysis and BUM report stored at or before this time, the findings open then. Live updates are paused."
            >
              as of {dateTime(at)}
            </span>
          )}
          {d.network.deletedAt !== null && (
            <span
              className="badge tone-bad"
              data-testid="network-deleted"
              data-deleted-at={d.network.deletedAt}
              title="Neutron deleted this network (network_delete)"
            >
              deleted {dateTime(d.network.deletedAt)}
            </span>
          )}
        </div>
        {d.network.deletedAt !== null && (
          <p className="muted small">
            Neutron deleted this network at {dateTime(d.network.deletedAt)}: it left the live view. Its messages stay in the inspector; what follows is the last
            analysis.
          </p>
        )}
        <div className="head-stats">
          <div className="head-stat">
            <span className="head-stat-k">Hosts analysed</span>
            <span>
              {d.hosts.length}
              {members > d.hosts.length && <span className="muted"> of {members} members (the others have no node agent)</span>}
            </span>
          </div>
          <div className="head-stat">
            <span className="head-stat-k">Flood lists</span>
            <span data-testid="matrix-totals" data-missing={matrix.totals.missing} data-excess={matrix.totals.excess}>
              {matrix.totals.missing === 0 && matrix.totals.excess === 0 ? (
                <span className="text-ok strong">✓ every host reaches exactly the VTEPs with ports</span>
              ) : (
                <>
                  {matrix.totals.missing > 0 && <span className="badge tone-bad">{matrix.totals.missing} missing</span>}{' '}
                  {matrix.totals.excess > 0 && <span className="badge tone-excess">{matrix.totals.excess} excess</span>}
                </>
              )}
            </span>
          </div>
          <div className="head-stat">
            <span className="head-stat-k">Drift</span>
            <span>
              {driftCount > 0 ? (
                <span className={`badge tone-${worstTone}`}>{plural(driftCount, 'item')}</span>
              ) : (
                <span className={driftClaim.tone === 'ok' ? 'text-ok strong' : 'muted'} data-testid="network-drift" data-tone={driftClaim.tone}>
                  {driftClaim.text}
                </span>
              )}
            </span>
          </div>
          <div className="head-stat">
            <span className="head-stat-k">BUM reports</span>
            <span className="muted">{withReport === 0 ? 'none (rates not measured)' : `${withReport} of ${matrix.rows.length} hosts`}</span>
          </div>
        </div>
      </Card>

      {/* the toggles act and Neutron's ports are read now: neither belongs to a past T */}
      {!at && d.network.deletedAt === null && <NetworkToggle network={d.network.id} />}
      {!at && <NetworkPorts network={d.network.id} names={names} />}

      <Card title="Flood matrix" aside={<MatrixLegend />}>
        <p className="small muted matrix-help">
          Each row is a sender: where its BUM (broadcast, unknown unicast, multicast) frames for this network go. Columns are the recipients: VTEPs, then
          multicast groups. Cells show the class in the sender’s flood list and, with a BUM report, the frames/s it sent there.
        </p>
        {matrix.rows.length === 0 ? (
          <p className="muted">No host with a node agent holds or expects state for this network.</p>
        ) : (
          <div className="matrix-scroll">
            <table className="matrix" data-testid="flood-matrix">
              <thead>
                <tr>
                  <th className="corner">
                    sender ↓ <span className="muted">recipient →</span>
                  </th>
                  {matrix.columns.map((c) => (
                    <th key={c.vtep} className={`col-head${c.group ? ' group' : ''}`} data-vtep={c.vtep}>
                      {c.host ? (
                        <Link href={hostHref(c.host, at)}>{c.host}</Link>
                      ) : c.group ? (
                        <span>multicast group</span>
                      ) : (
                        <span className="muted">{vtepName(c.vtep) ?? 'no node agent'}</span>
                      )}
                      <div className="mono small">{c.vtep}</div>
                    </th>
                  ))}
                  <th className="col-head">copies / frame</th>
                </tr>
              </thead>
              <tbody>
                {matrix.rows.map((r) => (
                  <tr key={r.host}>
                    <th className="row-head" scope="row">
                      <Link href={hostHref(r.host, at)} className="strong">
                        {r.host}
                      </Link>
                      <div className="mono small muted">{r.vtep ?? 'no VTEP'}</div>
                      <div className="small muted row-mode" title={r.mode}>
                        {r.mode}
                      </div>
                    </th>
                    {r.cells.map((c) => (
                      <Cell key={c.vtep} host={r.host} c={c} hasReport={r.bum !== null} />
                    ))}
                    <td className="num strong copies" title="Frames sent per BUM frame (one per unicast recipient and per group)">
                      {r.flood.copies}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title={`Drift on this network (${driftCount})`}>
        {driftCount === 0 ? (
          <p className={`small ${driftClaim.tone === 'ok' ? 'text-ok' : 'muted'}`}>
            {driftClaim.tone === 'ok' ? '✓ Every analysed host holds what l2pop told it on this network.' : `${driftClaim.text}.`}
          </p>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>host</th>
                <th>class</th>
                <th>entry</th>
                <th>VTEP</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {d.hosts.flatMap((h) =>
                h.drift.map((x: DriftItem, i: number) => (
                  <tr key={`${h.host}-${i}`} className={`row-${DRIFT_META[x.class].tone === 'info' ? 'info' : DRIFT_META[x.class].tone}`}>
                    <td>
                      <Link href={hostHref(h.host, at)}>{h.host}</Link>
                    </td>
                    <td>
                      <span className={`badge tone-${DRIFT_META[x.class].tone}`}>{DRIFT_META[x.class].label}</span>
                    </td>
                    <td className="mono">{x.mac === FLOOD_MAC ? 'flood entry' : (x.mac ?? x.ip ?? '—')}</td>
                    <td className="mono">{x.vtep ?? '—'}</td>
                    <td className="small">{x.detail}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        )}
      </Card>

      <Card title={`Findings on this network (${d.findings.length})`}>
        {d.findings.length === 0 ? (
          <p className="text-ok small">✓ No cross-host finding.</p>
        ) : (
          <div className="findings">
            {d.findings.map((f) => (
              <FindingCard key={`${f.kind}/${f.network}`} f={f} now={now} />
            ))}
          </div>
        )}
      </Card>
    </>
  );
}

function Cell({ host, c, hasReport }: { host: string; c: MatrixCell; hasReport: boolean }) {
  const t = CELL_TEXT[c.state];
  const title = c.self
    ? `${host}’s own VTEP`
    : `${host} → ${c.vtep}: ${t.title}${c.viaGroup ? ' (reached through the multicast group)' : ''}${c.tx ? ` — measured ${perSecond(c.tx.bum)} BUM, ${perSecond(c.tx.arp)} ARP` : ''}`;
  return (
    <td
      className={`cell st-${c.self ? 'self' : c.state}`}
      data-testid="flood-cell"
      data-host={host}
      data-vtep={c.vtep}
      data-state={c.state}
      data-self={c.self ? 'true' : undefined}
      title={title}
    >
      {c.self ? (
        <span className="muted small">self</span>
      ) : c.state === 'none' ? (
        <span className="muted">·</span>
      ) : (
        <>
          <span className="cell-state">
            <span className="cell-icon" aria-hidden>
              {CELL_ICON[c.state]}
            </span>
            {t.label}
          </span>
          {c.viaGroup && c.state !== 'expected' && <span className="cell-note">via group</span>}
          {c.tx ? (
            <span className={`cell-rate${c.tx.bum > 0 ? ' live' : ''}`} data-testid="flood-cell-rate" data-bum-fps={c.tx.bum.toFixed(3)}>
              {perSecond(c.tx.bum)} BUM{c.tx.arp > 0 && ` · ${perSecond(c.tx.arp)} ARP`}
            </span>
          ) : (
            hasReport && <span className="cell-rate muted">0/s</span>
          )}
        </>
      )}
    </td>
  );
}

function MatrixLegend() {
  return (
    <div className="legend matrix-legend" data-testid="matrix-legend">
      {LEGEND.map((s) => (
        <span key={s} className="legend-item" title={CELL_TEXT[s].title}>
          <span className={`swatch st-${s}`} aria-hidden>
            {CELL_ICON[s]}
          </span>
          {CELL_TEXT[s].label}
        </span>
      ))}
      <span className="legend-item">
        <span className="swatch st-self" aria-hidden />
        own VTEP
      </span>
    </div>
  );
}
