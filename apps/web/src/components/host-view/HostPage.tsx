'use client';
/**
 * `/hosts/<host>`: one hypervisor, told vs held. Its mode (and where each answer comes from),
 * its findings and convergence, then per network: the flood list, the drift items with their
 * evidence, and the told vs held FDB and neighbour rows side by side; its BUM
 * meter report and recent convergence samples. Refetched on live node updates that touch it.
 */
import { FLOOD_MAC, type HostAnalysis, type NamesIndex, summarizeHost } from '@l2scope/domain';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { DRIFT_META, DRIFT_ORDER, FLOOD_MODE_LABEL, FOREIGN_MAC_META, SOURCE_LABEL } from '@/host-view/classes';
import { agentTypeText, responderState } from '@/host-view/evidence';
import { type HostNetworkSection, brTunFlowTexts, hostSections } from '@/host-view/host-diff';
import { toBumReport } from '@/state/host-view';
import { useL2 } from '@/state/store';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { ago, clockTime, dateTime, duration, networkHref } from '@/lib/format';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useNow, useRefetchOnChange, useRefetchWhileStale } from '@/hooks/use-live-query';
import { useVtepNames } from '@/hooks/use-vtep-names';
import { useNeutronNames } from '@/hooks/use-neutron-names';
import { BumTable } from './BumTable';
import { ConvergenceFigures } from './Convergence';
import { FindingCard } from './FindingCard';
import { FloodListView } from './FloodListView';
import { Card, HostViewFrame } from './HostViewFrame';
import { DriftItemView, ForeignMacView, type VtepName } from './DriftItems';
import { FdbTable, NeighTable, StatusSummary } from './HostTables';
import { ModePanel } from '../toggle/ModePanel';
import { AgentBadge } from './AgentBadge';
import { DatapathCard } from './Datapath';
import { modeAsOf } from '@/host-view/agent';
import { useAsOf } from '@/hooks/use-as-of';

type HostData = RouterOutputs['nodes']['host'];

/**
 * The answer is older than the live view (the live summary names a newer snapshot than the one
 * analysed), or its parts disagree (the stored snapshot is not the one the stored analysis read).
 */
function isStale(d: Pick<HostData, 'analysis' | 'snapshot'>, liveSnapshotAt: string | null): boolean {
  const analysed = d.analysis?.snapshot ?? null;
  if (liveSnapshotAt && (!analysed || Date.parse(liveSnapshotAt) > Date.parse(analysed.takenAt))) return true;
  if (analysed && d.snapshot) return analysed.instance === d.snapshot.instance ? analysed.seq !== d.snapshot.seq : analysed.takenAt !== d.snapshot.takenAt;
  return false;
}

function errorCode(err: unknown): string | undefined {
  return (err as { data?: { code?: string } } | null)?.data?.code;
}

/** The host page of `host`: live, or as of the page's T (`?at=`, the time slider). */
export function HostPage({ host }: { host: string }) {
  const { at } = useAsOf();
  return at ? <HostPageAt host={host} at={at} /> : <HostPageLive host={host} />;
}

/**
 * The host as of T (`history.host`): the model's view and the told rows of T, the last held
 * snapshot and analysis stored at or before T, the findings open at T. Not refetched on live updates.
 */
function HostPageAt({ host, at }: { host: string; at: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.history.host.queryOptions({ host, at }),
    retry: (n, err) => errorCode(err) !== 'NOT_FOUND' && n < 2,
    placeholderData: (prev) => prev,
  });
  const shown = q.isPlaceholderData ? undefined : q.data;
  return (
    <HostViewFrame
      crumbs={[{ href: `/overview?at=${encodeURIComponent(at)}`, label: 'Overview' }, { label: `host ${host}` }]}
      testid="host-page"
      attrs={{ 'data-host': host, 'data-at': shown?.at ?? (q.isError ? at : '') }}
    >
      {q.isPending && (
        <p className="muted pad">
          Loading {host} as of {dateTime(at)}…
        </p>
      )}
      {q.isError && (
        <p className={`pad ${errorCode(q.error) === 'NOT_FOUND' ? 'muted' : 'text-bad'}`} data-testid="host-error">
          {errorCode(q.error) === 'NOT_FOUND'
            ? `No host named “${host}” as of ${dateTime(at)}: no node agent had reported it and the l2pop model did not know it.`
            : `Cannot load ${host} as of ${dateTime(at)}: ${q.error.message}`}
        </p>
      )}
      {q.data && !q.isError && <HostBody d={q.data} asOf={{ at: q.data.at, snapshotReceivedAt: q.data.snapshotReceivedAt }} />}
    </HostViewFrame>
  );
}

function HostPageLive({ host }: { host: string }) {
  useSyncFeatures('nodes', 'model');
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.nodes.host.queryOptions({ host }), retry: (n, err) => errorCode(err) !== 'NOT_FOUND' && n < 2 });
  const hostRev = useL2((s) => s.nodes.hostRev[host] ?? 0);
  const modelSeq = useL2((s) => Math.max(s.model.state.seq, s.live.modelSeq));
  const liveSnapshotAt = useL2((s) => s.nodes.view.hosts.get(host)?.snapshotAt ?? null);
  useRefetchOnChange(hostRev, q.refetch, 300);
  useRefetchOnChange(modelSeq, q.refetch, 1_000);
  // the database may lag the live view by a moment: read again until they agree
  useRefetchWhileStale(q.data ? isStale(q.data, liveSnapshotAt) : false, q.refetch);

  return (
    <HostViewFrame crumbs={[{ href: '/overview', label: 'Overview' }, { label: `host ${host}` }]} testid="host-page" attrs={{ 'data-host': host }}>
      {q.isPending && <p className="muted pad">Loading {host}…</p>}
      {q.isError && (
        <p className={`pad ${errorCode(q.error) === 'NOT_FOUND' ? 'muted' : 'text-bad'}`} data-testid="host-error">
          {errorCode(q.error) === 'NOT_FOUND'
            ? `No host named “${host}”: no node agent has reported it and the l2pop model does not know it.`
            : `Cannot load ${host}: ${q.error.message}`}
        </p>
      )}
      {q.data && <HostBody d={q.data} />}
    </HostViewFrame>
  );
}

/** What the page shows as of T: T and when the shown snapshot was received (history.host). */
interface AsOf {
  at: string;
  snapshotReceivedAt: string | null;
}

function HostBody({ d, asOf = null }: { d: HostData; asOf?: AsOf | null }) {
  const liveNow = useNow();
  const now = asOf ? Date.parse(asOf.at) : liveNow;
  const vtepName = useVtepNames();
  const names = useNeutronNames();
  // Neutron's API and the convergence figures are the present's: not shown as of T (the BUM report is history.host's of T)
  const neutronAgent = asOf ? undefined : names?.agent(d.host);
  const liveConv = useL2((s) => s.nodes.view.convergence.get(d.host));
  const conv = asOf ? undefined : liveConv;
  const sections = useMemo(() => hostSections(d), [d]);
  // the live report (store) when there is one: BUM reports are pushed, the database copy may lag
  const pushedBum = useL2((s) => s.nodes.view.bum.get(d.host));
  const liveBum = asOf ? undefined : pushedBum;
  const storedBum = useMemo(() => toBumReport(d.bum), [d.bum]);
  const bum = liveBum ?? storedBum;
  const a = d.analysis;
  const m = a?.mode ?? null;
  // drift per class and flood-list problems: the overview's summary of the same analysis
  const summary = useMemo(() => (a ? summarizeHost(d.host, a) : null), [d.host, a]);
  const vtep = m?.vtep ?? d.view?.vtep ?? null;

  return (
    <>
      <Card className="host-head">
        <div className="title-row">
          <h1 className="page-title">{d.host}</h1>
          {asOf && (
            <span
              className="badge tone-info"
              data-testid="host-as-of"
              data-at={asOf.at}
              title={`Stored history: the l2pop model as of this time, and the last node snapshot received at or before it${asOf.snapshotReceivedAt ? ` (${dateTime(asOf.snapshotReceivedAt)})` : ''}. Live updates are paused.`}
            >
              as of {dateTime(asOf.at)}
            </span>
          )}
          <span className="mono title-vtep" title="VTEP (tunneling_ip / local_ip)">
            {vtep ?? 'no VTEP known'}
          </span>
          <span className="muted" data-testid="host-agent-type">
            {agentTypeText(m?.agentType ?? null, d.view?.agentType)}
          </span>
          <AgentBadge
            host={d.host}
            agent={a?.agent}
            now={now}
            lastReportAt={m?.reported?.lastReportAt ?? (d.view?.lastReportAt ? new Date(d.view.lastReportAt).toISOString() : null)}
          />
          {d.l3Agent && (
            <span
              className="chip"
              data-testid="host-l3-agent"
              data-mode={d.l3Agent.agentMode ?? ''}
              title={`${d.l3Agent.binary} on ${d.host}: agent_mode from its own report_state (last ${dateTime(new Date(d.l3Agent.lastReportAt).toISOString())}); it never describes the L2 agent`}
            >
              L3 agent: {d.l3Agent.agentMode ?? 'mode not reported'}
            </span>
          )}
          {neutronAgent && (
            <span
              className={`chip ${neutronAgent.alive ? '' : 'text-bad'}`}
              data-testid="neutron-alive"
              data-alive={String(neutronAgent.alive)}
              title={`GET /v2.0/agents: ${neutronAgent.agentType} on ${d.host}, alive as neutron-server judges it (its agent_down_time)`}
            >
              Neutron: {neutronAgent.alive ? 'alive' : 'down'}
            </span>
          )}
        </div>
        {m ? (
          <ModeRow m={m} asOf={modeAsOf(a?.agent)} />
        ) : (
          <p className="muted">
            No node snapshot analysed for this host: its mode, drift and flood lists are unknown (the model knows it from l2pop casts and report_state).
          </p>
        )}
        <div className="meta small muted">
          {a?.snapshot ? (
            <>
              node snapshot taken <strong title={dateTime(a.snapshot.takenAt)}>{ago(a.snapshot.takenAt, now)}</strong> ({clockTime(a.snapshot.takenAt)} UTC, seq{' '}
              {a.snapshot.seq}, agent {a.snapshot.instance})
            </>
          ) : (
            'no node snapshot'
          )}
          {d.analysedAt && <> · analysed {ago(d.analysedAt, now)}</>}
        </div>
        {(m?.notes.length ?? 0) > 0 && (
          <ul className="notes" data-testid="host-notes">
            {m!.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        )}
        {d.snapshot && (d.snapshot.errors.length > 0 || d.snapshot.truncated.length > 0) && (
          <ul className="notes bad">
            {d.snapshot.truncated.length > 0 && <li>snapshot truncated: {d.snapshot.truncated.join(', ')} (over the size limits: drift may be incomplete)</li>}
            {d.snapshot.errors.map((e, i) => (
              <li key={i}>
                {e.source}: {e.message}
              </li>
            ))}
          </ul>
        )}
        <div className="head-stats">
          <div className="head-stat">
            <span className="head-stat-k">Drift</span>
            {summary === null ? (
              <span className="muted">not evaluated</span>
            ) : summary.driftTotal === 0 ? (
              <span className="text-ok strong" data-testid="host-drift-total" data-count={0}>
                ✓ none — the host holds what l2pop told it
              </span>
            ) : (
              <span className="drift-counts" data-testid="host-drift-total" data-count={summary.driftTotal}>
                {DRIFT_ORDER.filter((c) => summary.drift[c] > 0).map((c) => (
                  <span key={c} className={`badge tone-${DRIFT_META[c].tone}`} title={DRIFT_META[c].effect}>
                    {summary.drift[c]} {DRIFT_META[c].label}
                  </span>
                ))}
              </span>
            )}
          </div>
          <div className="head-stat">
            <span className="head-stat-k">Flood lists</span>
            {summary === null ? (
              <span className="muted">not evaluated</span>
            ) : summary.floodMissing + summary.floodExcess === 0 ? (
              <span className="text-ok strong">✓ BUM reaches exactly the VTEPs with ports</span>
            ) : (
              <span className="drift-counts">
                {summary.floodMissing > 0 && <span className="badge tone-bad">{summary.floodMissing} missing</span>}
                {summary.floodExcess > 0 && <span className="badge tone-excess">{summary.floodExcess} excess</span>}
              </span>
            )}
          </div>
          <div className="head-stat">
            <span className="head-stat-k">Convergence</span>
            <ConvergenceFigures host={d.host} c={conv} />
          </div>
        </div>
      </Card>

      {!asOf && (
        <ModePanel
          host={d.host}
          mode={m}
          reported={d.view ? { l2population: d.view.l2population, arpResponder: d.view.arpResponder } : null}
          agentDown={a?.agent?.alive === false}
        />
      )}

      {d.findings.length > 0 && (
        <Card title={`Findings involving ${d.host} (${d.findings.length})`}>
          <div className="findings">
            {d.findings.map((f) => (
              <FindingCard key={`${f.kind}/${f.network}`} f={f} now={now} />
            ))}
          </div>
        </Card>
      )}

      {sections.length === 0 && <Card title="Networks">{<p className="muted">This host is in no network: nothing told, nothing held.</p>}</Card>}
      {sections.map((s) => (
        <NetworkSection key={s.network} s={s} d={d} vtepName={vtepName} names={names} />
      ))}

      <Card
        title="BUM meter"
        testid="bum-meter"
        aside={
          <span className="muted small" data-testid={asOf ? 'bum-as-of' : undefined} data-at={asOf?.at}>
            {asOf
              ? `as of ${dateTime(asOf.at)}: its last report received at or before it, per VNI and remote VTEP`
              : 'frames per second over the last report interval, per VNI and remote VTEP'}
          </span>
        }
      >
        <BumTable report={bum} vtepHost={vtepName} />
      </Card>

      <Card title={d.convergence.length ? `Convergence samples (${d.convergence.length} most recent)` : 'Convergence samples'}>
        {d.convergence.length === 0 ? (
          <p className="muted small">No sample yet: a sample is taken when a cast’s entry shows up in (or leaves) a node snapshot of this host.</p>
        ) : (
          <table className="grid" data-testid="convergence-samples">
            <thead>
              <tr>
                <th>cast</th>
                <th>seen on host</th>
                <th className="num">lag</th>
                <th>change</th>
                <th>entry</th>
                <th>VTEP</th>
                <th>network</th>
                <th>message</th>
              </tr>
            </thead>
            <tbody>
              {d.convergence.map((c, i) => (
                <tr key={i}>
                  <td className="mono">{clockTime(c.castAt)}</td>
                  <td className="mono">{clockTime(c.seenAt)}</td>
                  <td className={`num strong${c.lagMs > 5_000 ? ' text-warn' : ''}`}>{duration(c.lagMs)}</td>
                  <td>{c.change}</td>
                  <td className="mono">{c.mac === FLOOD_MAC ? 'flood entry' : c.mac}</td>
                  <td className="mono">
                    {c.vtep} <span className="muted">{vtepName(c.vtep) ?? ''}</span>
                  </td>
                  <td className="mono">{c.network.slice(0, 8)}</td>
                  <td className="mono muted">#{c.messageId}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>

      <DatapathCard snapshot={d.snapshot} />

      {d.snapshot?.openvswitch && (
        <Card
          title="br-tun tunnel ports"
          aside={<span className="muted small">ovs-vsctl list Interface: ofport → remote VTEP (how table 20/22 outputs are read)</span>}
        >
          <table className="grid" data-testid="ovs-tunnel-ports">
            <thead>
              <tr>
                <th>port</th>
                <th>type</th>
                <th className="num">ofport</th>
                <th>remote_ip</th>
                <th>local_ip</th>
                <th className="num">dst_port</th>
              </tr>
            </thead>
            <tbody>
              {d.snapshot.openvswitch.tunnelPorts.map((p) => (
                <tr key={p.name}>
                  <td className="mono">{p.name}</td>
                  <td>{p.type}</td>
                  <td className="num mono">{p.ofport ?? '?'}</td>
                  <td className="mono">
                    {p.remoteIp} <span className="muted">{vtepName(p.remoteIp) ?? ''}</span>
                  </td>
                  <td className="mono">{p.localIp ?? '—'}</td>
                  <td className="num mono">{p.dstPort ?? <span className="muted">default</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </>
  );
}

/**
 * The mode line: l2pop, ARP responder, flood mode, UDP ports, each with its source. `asOf` (the
 * agent is down) marks it as what the agent last reported, not as current truth.
 */
function ModeRow({ m, asOf }: { m: HostAnalysis['mode']; asOf: { label: string; title: string } | null }) {
  const onOff = (v: 'on' | 'off' | 'unknown') => (v === 'on' ? 'on' : v === 'off' ? 'off' : 'unknown');
  return (
    <div
      className="mode-row"
      data-testid="host-mode"
      data-l2pop={m.l2pop}
      data-arp={m.arpResponder}
      data-flood-mode={m.floodMode}
      data-groups={m.vxlanGroups.join(',')}
      data-summary={m.summary}
      data-as-of-last-report={asOf ? 'true' : 'false'}
    >
      {asOf && (
        <span className="badge tone-warn mode-as-of" data-testid="host-mode-as-of" title={asOf.title}>
          {asOf.label}
        </span>
      )}
      <ModeChip k="l2_population" v={onOff(m.l2pop)} tone={m.l2pop === 'on' ? 'ok' : m.l2pop === 'off' ? 'warn' : 'idle'} source={m.l2popSource} />
      <ModeChip k="ARP responder" v={onOff(m.arpResponder)} tone={m.arpResponder === 'on' ? 'ok' : 'idle'} source={m.arpResponderSource} />
      <ModeChip
        k="BUM"
        v={FLOOD_MODE_LABEL[m.floodMode]}
        tone={m.floodMode === 'multicast+unicast' ? 'bad' : m.floodMode === 'per-device' ? 'warn' : 'idle'}
        source={null}
      />
      {m.vxlanGroups.length > 0 && <ModeChip k="multicast group" v={m.vxlanGroups.join(', ')} tone="idle" source={null} />}
      {m.udpPorts.length > 0 && <ModeChip k="VXLAN UDP" v={m.udpPorts.join(', ')} tone={m.udpPorts.length > 1 ? 'warn' : 'idle'} source={null} />}
      <span className="mode-summary">{m.summary}</span>
    </div>
  );
}

function ModeChip({ k, v, tone, source }: { k: string; v: string; tone: 'ok' | 'warn' | 'bad' | 'idle'; source: string | null }) {
  return (
    <span className={`mode-chip ${tone}`}>
      <span className="mode-k">{k}</span>
      <span className="mode-v">{v}</span>
      {source && <span className="mode-src">from {SOURCE_LABEL[source] ?? source}</span>}
    </span>
  );
}

function NetworkSection({ s, d, vtepName, names }: { s: HostNetworkSection; d: HostData; vtepName: VtepName; names: NamesIndex | null }) {
  const { at } = useAsOf();
  const mode = d.analysis?.mode ?? null;
  const ovs = mode?.agentType === 'openvswitch' || d.snapshot?.agent.type === 'openvswitch';
  const applied = s.told?.applied ?? (mode ? mode.l2pop === 'on' : null);
  const haveHeld = d.snapshot !== null;
  // the agent writes responder entries (its setting) / the data plane answers from them (vxlan proxy, br-tun table 2 -> 21)
  const agentResponder = mode?.arpResponder === 'on';
  const planeResponder = s.mode?.arpResponder ?? null;
  const responder = agentResponder || planeResponder === true;
  const responderSeen = responderState(mode?.arpResponder, planeResponder);
  const dev = s.held?.dev ?? s.mode?.dev ?? 'vxlan-<VNI>';
  const flows = ovs ? brTunFlowTexts(d.snapshot, s.mode?.lvid ?? null) : null;
  const known = !s.network.startsWith('vni:') && !(s.tunnelType !== null && s.vni !== null && s.network === `${s.tunnelType}:${s.vni}`);
  // GRE networks carry a key, VXLAN ones a VNI (br-tun table 3 vs 4)
  const segment = s.tunnelType === 'gre' ? 'GRE key' : s.tunnelType && s.tunnelType !== 'vxlan' ? `${s.tunnelType.toUpperCase()} id` : 'VNI';
  const heldSource = ovs
    ? `br-tun flows${s.held?.dev ? ` (${s.held.dev}): table 22 flood, table 20 unicast` : ''}`
    : `bridge fdb on ${s.held?.dev ?? s.mode?.dev ?? 'vxlan-<VNI>'}`;
  return (
    <Card
      className="net-section"
      testid={`host-network-${s.network}`}
      title={
        <>
          {s.vni !== null ? `${segment} ${s.vni}` : `${segment} ?`}
          {s.tunnelType && (
            <span className="chip small" data-testid="tunnel-type">
              {s.tunnelType}
            </span>
          )}
          {(s.held?.dev ?? s.mode?.dev) && <span className="mono chip">{s.held?.dev ?? s.mode?.dev}</span>}
          {known ? (
            <Link href={networkHref(s.network, at)} className="small" title={`Open the network page (flood matrix) of ${s.network}`}>
              network {names?.network(s.network)?.name || s.network.slice(0, 8)} →
            </Link>
          ) : (
            <span className="small muted">network unknown to the l2pop model</span>
          )}
        </>
      }
      aside={
        <span className="net-flags small">
          {s.mode?.group && <span className="chip">group {s.mode.group}</span>}
          {s.mode?.proxy !== null && s.mode?.proxy !== undefined && <span className="chip">{s.mode.proxy ? 'proxy' : 'no proxy'}</span>}
          {s.mode?.learning !== null && s.mode?.learning !== undefined && <span className="chip">{s.mode.learning ? 'learning' : 'nolearning'}</span>}
          {s.mode?.dstport !== null && s.mode?.dstport !== undefined && <span className="chip">dstport {s.mode.dstport}</span>}
          {s.mode?.lvid !== null && s.mode?.lvid !== undefined && <span className="chip">local VLAN {s.mode.lvid}</span>}
          {s.told ? (
            <span className={`badge ${applied === true ? 'l2pop-on' : applied === false ? 'l2pop-off' : 'l2pop-unknown'}`}>
              {applied === true ? 'told & applied' : applied === false ? 'told, not applied (l2pop off)' : 'told, applied: unknown'}
            </span>
          ) : (
            <span className="badge l2pop-unknown">not a member (nothing told)</span>
          )}
        </span>
      }
    >
      <div className="net-grid">
        <div>
          <h3 className="sub-title">Flood list</h3>
          {s.flood ? (
            <FloodListView network={s.network} f={s.flood} vtepHost={vtepName} />
          ) : (
            <p className="muted small">Not evaluated (no node snapshot, or the host holds no state for this network).</p>
          )}
        </div>
        <div>
          <h3 className="sub-title">Drift {s.drift.length > 0 && <span className="count-pill bad">{s.drift.length}</span>}</h3>
          {s.drift.length === 0 ? (
            <p className={`small ${d.analysis ? 'text-ok' : 'muted'}`}>{d.analysis ? '✓ no drift on this network' : 'not evaluated'}</p>
          ) : (
            <ul className="drift-list">
              {s.drift.map((x, i) => (
                <DriftItemView key={i} x={x} vtepName={vtepName} host={d.host} />
              ))}
            </ul>
          )}
          {s.foreignMacs.length > 0 && (
            <>
              <h3 className="sub-title" title={FOREIGN_MAC_META.effect}>
                Foreign MACs (not drift) <span className="count-pill warn">{s.foreignMacs.length}</span>
              </h3>
              <ul className="drift-list">
                {s.foreignMacs.map((x, i) => (
                  <ForeignMacView key={i} x={x} vtepName={vtepName} />
                ))}
              </ul>
            </>
          )}
        </div>
      </div>

      <h3 className="sub-title">
        FDB — told by the server vs held by the {ovs ? 'br-tun flows' : 'kernel'}
        <StatusSummary rows={s.fdb} />
      </h3>
      {applied === false && (
        <p className="small text-warn">
          l2_population is off on this agent: it does not apply the server’s rows; BUM goes to the multicast group and remote MACs are learned from traffic
          (nothing is expected on the host).
        </p>
      )}
      {!haveHeld && <p className="small muted">No node snapshot: the held side is unknown.</p>}
      <FdbTable
        rows={s.fdb}
        applied={applied}
        haveHeld={haveHeld}
        excess={s.flood?.excess ?? []}
        vtepName={vtepName}
        heldSource={heldSource}
        flows={flows}
        ovs={ovs}
        network={s.network}
        names={names}
      />

      {responderSeen === 'not_analysed' && (s.held?.neigh.length ?? 0) === 0 ? (
        <p className="small muted neigh-off" data-testid="neigh-not-analysed">
          ARP responder: not analysed (no node snapshot of this host): {s.told?.neigh.length ?? 0} neighbour{' '}
          {(s.told?.neigh.length ?? 0) === 1 ? 'row' : 'rows'} announced by the server, whether the host answers ARP locally is unknown.
        </p>
      ) : responder || (s.held?.neigh.length ?? 0) > 0 ? (
        <>
          <h3 className="sub-title">
            Neighbours — ARP responder ({ovs ? 'br-tun table 21' : `PERMANENT ip neigh on ${dev}`})
            <StatusSummary rows={s.neigh} />
          </h3>
          {!responder && <p className="small text-warn">The ARP responder is off on this host, yet it holds responder entries (leftovers nobody maintains).</p>}
          {agentResponder && planeResponder === false && (
            <p className="small text-warn">
              The agent’s ARP responder is on but the data plane does not answer on this network (
              {ovs ? 'no br-tun table 2 → 21 flow' : `${dev} has no “proxy” flag`}): these entries are never used and ARP still crosses the tunnel.
            </p>
          )}
          <NeighTable rows={s.neigh} responder={agentResponder} haveHeld={haveHeld} flows={flows} network={s.network} names={names} />
        </>
      ) : (
        <p className="small muted neigh-off">
          ARP responder off on this host: {s.told?.neigh.length ?? 0} neighbour {(s.told?.neigh.length ?? 0) === 1 ? 'row' : 'rows'} announced by the server are
          not expected here (ARP crosses the tunnel).
        </p>
      )}
    </Card>
  );
}
