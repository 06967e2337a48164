'use client';
/** The topology pane: toolbar (network picker, legend), the React Flow canvas, the host side panel. */
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { networkIn } from '@l2scope/domain';
import { networkHref, networkLabel, plural } from '@/lib/format';
import { type HostNodeType, type TunnelEdgeType, EDGE_COLORS, useTopology } from '@/hooks/use-topology';
import { useAutoFit } from '@/hooks/use-auto-fit';
import { useAsOf } from '@/hooks/use-as-of';
import { networkMemberCounts, sortedNetworks } from '@/state/model';
import { dispatch, useL2 } from '@/state/store';
import type { FleetPick } from '@/hooks/use-fleet-graph';
import { FLEET_THRESHOLD, buildFleet } from '@/topology/fleet';
import { type DrillTarget, DRILL_MAX_HOSTS, neighbourhood } from '@/topology/fleet-scope';
import { l2store } from '@/state/store';
import { DrillContext, HostNode } from './HostNode';
import { HostPanel } from './HostPanel';
import { TunnelEdgeView } from './TunnelEdge';

// sigma.js touches WebGL2RenderingContext when its module is evaluated: never on the server
const loadFleetView = () => import('./FleetView').then((m) => m.FleetView);
const FleetView = dynamic(loadFleetView, { ssr: false });

const nodeTypes = { host: HostNode };
const edgeTypes = { tunnel: TunnelEdgeView };

/** `?fleet=<n>` on the page URL, else FLEET_THRESHOLD (the server renders with the default). */
function thresholdFromUrl(): number {
  const n = Number(new URLSearchParams(window.location.search).get('fleet'));
  return Number.isInteger(n) && n > 0 ? n : FLEET_THRESHOLD;
}
const noSubscription = () => () => {};

/** The fleet threshold: FLEET_THRESHOLD, or `?fleet=<n>` on the page URL. */
function useFleetThreshold(): number {
  return useSyncExternalStore(noSubscription, thresholdFromUrl, () => FLEET_THRESHOLD);
}

/** Host ids a drill-down draws (read once, when it opens; live changes update their cards). */
function drillScope(target: DrillTarget, network: string | null): string[] {
  if (target.kind === 'group') return target.hosts.slice(0, DRILL_MAX_HOSTS);
  return neighbourhood(l2store.getState().model.state.snapshot, target.host, network);
}

export function TopologyPane() {
  const hostCount = useL2((s) => s.model.state.snapshot.hosts.length);
  const network = useL2((s) => s.ui.selectedNetwork);
  const threshold = useFleetThreshold();
  const [drill, setDrill] = useState<{ target: DrillTarget; scope: string[]; of: number } | null>(null);
  const fleet = hostCount > threshold;
  // the fleet view's code (sigma.js, graphology) loads while the snapshot is on its way: fetched
  // only once a large model has arrived, it added seconds to the first paint (measured)
  useEffect(() => {
    void loadFleetView();
  }, []);

  const onPick = useCallback(
    (p: FleetPick) => {
      const started = performance.now();
      let target: DrillTarget;
      if (p.kind === 'host') {
        target = p;
        dispatch({ type: 'ui/selectHost', id: p.host });
      } else {
        const g = buildFleet(l2store.getState().model.state.snapshot.hosts, { summaries: new Map(), downAgents: new Set() }).groups.find(
          (x) => x.key === p.group,
        );
        target = { kind: 'group', group: p.group, hosts: g?.hosts ?? [] };
      }
      const scope = drillScope(target, network);
      setDrill({ target, scope, of: target.kind === 'group' ? target.hosts.length : scope.length });
      performance.mark('l2scope:drill-start', { startTime: started });
    },
    [network],
  );

  return (
    <section className="pane topo-pane" aria-label="Topology">
      <ReactFlowProvider>
        <TopologyToolbar />
        {fleet && drill && (
          <div className="fleet-crumbs" data-testid="fleet-drill">
            <button type="button" className="btn small" data-testid="fleet-back" onClick={() => setDrill(null)}>
              ← Fleet
            </button>
            <span className="small">
              {drill.target.kind === 'host' ? `${drill.target.host}'s neighbourhood` : `group ${drill.target.group}`}: {plural(drill.scope.length, 'host')}
              {drill.of > drill.scope.length && (
                <span className="muted">
                  {' '}
                  (first {drill.scope.length} of {drill.of})
                </span>
              )}
            </span>
          </div>
        )}
        <div className="topo-body">
          {fleet && !drill ? <FleetView onPick={onPick} /> : <TopologyCanvas scope={fleet && drill ? drill.scope : null} />}
          <HostPanel />
        </div>
      </ReactFlowProvider>
    </section>
  );
}

function TopologyToolbar() {
  const { at } = useAsOf();
  const model = useL2((s) => s.model.state);
  const selected = useL2((s) => s.ui.selectedNetwork);
  const networks = useMemo(() => sortedNetworks(model), [model]);
  const members = useMemo(() => networkMemberCounts(model), [model]);

  // a network that vanished from the model cannot stay selected
  useEffect(() => {
    if (selected && !networkIn(model.snapshot, selected)) dispatch({ type: 'ui/selectNetwork', id: null });
  }, [selected, model]);

  return (
    <div className="toolbar">
      <h2 className="pane-title">Topology</h2>
      <span className="muted small" data-testid="topology-counts">
        {plural(model.snapshot.hosts.length, 'host')} · {plural(model.snapshot.networks.length, 'network')}
      </span>
      <label className="field">
        <span>Network</span>
        <select
          data-testid="network-picker"
          aria-label="Highlight a network’s flood tree"
          value={selected ?? ''}
          onChange={(e) => dispatch({ type: 'ui/selectNetwork', id: e.target.value || null })}
        >
          <option value="">All networks</option>
          {networks.map((n) => (
            <option key={n.id} value={n.id}>
              {networkLabel(n)} · {n.networkType} · {n.id.slice(0, 8)} · {plural(members.get(n.id) ?? 0, 'host')}
            </option>
          ))}
        </select>
      </label>
      {selected && (
        <Link
          href={networkHref(selected, at)}
          className="btn small"
          data-testid="network-page-link"
          title="Flood matrix of this network: expected / actual / excess / missing recipients per host, BUM rates"
        >
          Flood matrix →
        </Link>
      )}
      <Legend />
    </div>
  );
}

function Legend() {
  return (
    <div className="legend" data-testid="legend" aria-label="Legend">
      <span
        className="legend-item"
        title="Flood entry 00:00:00:00:00:00 dst <VTEP>: the arrow's source replicates the network's broadcast / unknown-unicast / multicast frames to the target VTEP"
      >
        <svg width="34" height="10" aria-hidden>
          <line x1="1" y1="5" x2="27" y2="5" stroke={EDGE_COLORS.flood} strokeWidth="2" strokeDasharray="5 4" />
          <path d="M26 1 L33 5 L26 9 z" fill={EDGE_COLORS.flood} />
        </svg>
        flood (BUM replication)
      </span>
      <span className="legend-item" title="Unicast FDB entries <MAC> dst <VTEP>: the arrow's source was told these MACs of the target">
        <svg width="34" height="10" aria-hidden>
          <line x1="1" y1="5" x2="27" y2="5" stroke={EDGE_COLORS.unicast} strokeWidth="2" />
          <path d="M26 1 L33 5 L26 9 z" fill={EDGE_COLORS.unicast} />
        </svg>
        unicast (n MACs)
      </span>
      <span
        className="legend-item"
        title="The agent reports l2_population = false: it was told these entries but floods BUM to the multicast group and learns MACs from traffic"
      >
        <svg width="34" height="10" aria-hidden opacity="0.5">
          <line x1="1" y1="5" x2="27" y2="5" stroke={EDGE_COLORS.flood} strokeWidth="2" strokeDasharray="2 4" />
          <path d="M26 1 L33 5 L26 9 z" fill={EDGE_COLORS.flood} />
        </svg>
        told, not applied (l2pop off)
      </span>
      <span
        className="legend-item"
        title="Node view: an ideal flood recipient (it has ports on the network) that the host does not replicate BUM to: DHCP / ARP to it break"
      >
        <svg width="34" height="10" aria-hidden>
          <line x1="1" y1="5" x2="27" y2="5" stroke={EDGE_COLORS.missing} strokeWidth="2.5" strokeDasharray="4 3" />
          <path d="M26 1 L33 5 L26 9 z" fill={EDGE_COLORS.missing} />
        </svg>
        missing recipient
      </span>
      <span className="legend-item" title="Node view: the host replicates BUM to a VTEP outside the ideal list (wasted copies)">
        <svg width="34" height="10" aria-hidden>
          <line x1="1" y1="5" x2="27" y2="5" stroke={EDGE_COLORS.excess} strokeWidth="2.5" />
          <path d="M26 1 L33 5 L26 9 z" fill={EDGE_COLORS.excess} />
        </svg>
        excess recipient
      </span>
      <span
        className="legend-item"
        title="With a BUM report from the sender (or the receiver): the flood edge moves faster and gets thicker with the measured BUM frames/s; still when none was seen. Without a report: the default flood style."
      >
        <span className="legend-rate">BUM n/s</span>
        measured rate
      </span>
      <span
        className="legend-item"
        title="Drift badge of a host with a node agent: the number of drift items, coloured by the worst class; click for the host page"
      >
        <span className="badge drift-badge tone-bad">n drift</span>
        drift badge
      </span>
      <span className="legend-item muted">arrow: host told → remote VTEP</span>
    </div>
  );
}

function TopologyCanvas({ scope }: { scope: readonly string[] | null }) {
  const { nodes, edges, graph, layoutGen, onNodesChange } = useTopology(scope);
  // the drill-down's cards are on screen: the end of a fleet click (the perf script reads it)
  // and the first picture of the whole topology (first useful paint of a small cloud); a card
  // waiting for its first position is hidden, so every card shown means every card laid out
  const drawn = layoutGen > 0 && nodes.length > 0 && !nodes.some((n) => n.hidden);
  useEffect(() => {
    if (!drawn) return;
    const name = scope ? 'l2scope:drill-drawn' : 'l2scope:topology-drawn';
    if (scope || performance.getEntriesByName(name).length === 0) requestAnimationFrame(() => performance.mark(name));
  }, [scope, layoutGen, drawn]);
  const status = useL2((s) => s.model.status);
  const error = useL2((s) => s.model.error);

  const onMoveStart = useAutoFit(graph, layoutGen);
  const hostCount = graph.hosts.length;

  return (
    <div className={`canvas${edges.length > 150 ? ' calm' : ''}`} data-testid="topology-canvas">
      <DrillContext.Provider value={scope !== null}>
        <ReactFlow<HostNodeType, TunnelEdgeType>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onMoveStart={onMoveStart}
          onNodeClick={(_, node) => dispatch({ type: 'ui/selectHost', id: node.id })}
          nodesConnectable={false}
          nodesFocusable={false}
          edgesFocusable={false}
          onlyRenderVisibleElements={graph.large}
          minZoom={0.05}
          maxZoom={2.5}
          proOptions={{ hideAttribution: false }}
          aria-label="Hosts, bridges, ports and VXLAN tunnel entries"
        >
          <Background gap={24} size={1} color="#d6dbe3" />
          <Controls showInteractive={false} aria-label="Zoom controls" />
          {hostCount > 12 && <MiniMap pannable zoomable nodeColor="#c9d3e0" maskColor="rgba(240,243,247,0.7)" />}
        </ReactFlow>
      </DrillContext.Provider>
      {hostCount === 0 && (
        <div className="canvas-empty" data-testid="topology-empty">
          {status === 'loading' && 'Loading the model…'}
          {status === 'error' && <>Cannot load the model: {error}</>}
          {status === 'ready' && 'No hosts yet: the model fills in as the worker sees l2pop casts and agent reports.'}
        </div>
      )}
      {graph.edgeNotice && <div className="canvas-notice">{graph.edgeNotice}</div>}
    </div>
  );
}
