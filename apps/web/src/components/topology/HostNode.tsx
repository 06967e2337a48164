'use client';
/** A host card on the canvas: header (name, VTEP, agent, l2pop), one bridge per network with its ports. */
import { Handle, type NodeProps, Position, useStore } from '@xyflow/react';
import Link from 'next/link';
import { type KeyboardEvent, createContext, memo, useContext } from 'react';
import { dispatch } from '@/state/store';
import { CARD, type BridgeCard } from '@/topology/graph';
import { type DriftBadge, badgeTitle } from '@/topology/overlay';
import { agentDownHref } from '@/host-view/agent';
import { DRIFT_META } from '@/host-view/classes';
import { hostHref, plural } from '@/lib/format';
import type { HostNodeType } from '@/hooks/use-topology';
import { useNeutronNames } from '@/hooks/use-neutron-names';
import { useAsOf } from '@/hooks/use-as-of';
import { portTitle } from '@/neutron/port-label';
import { PortNameTag } from '../neutron/PortNameTag';

const L2POP_TEXT = { on: 'l2pop on', off: 'l2pop off', unknown: 'l2pop unknown' } as const;
const L2POP_TITLE = {
  on: 'The agent reports l2_population = true: it applies the server’s FDB casts',
  off: 'The agent reports l2_population = false: flood-and-learn; the server’s casts are not applied',
  unknown: 'No agent report seen yet for this VTEP',
} as const;

/**
 * Below this zoom a fleet drill-down's cards leave out their ports (each bridge is an empty box of
 * its full height, so the card keeps its shape): at the zoom that fits 40 cards (about 0.25) their
 * 11 px text is 3 px high, and the ports were most of the drill-down's DOM (React's render and the
 * browser's first layout of 40 cards took about 1.5 s of its 1.6 s at load 8). Zooming in past it
 * draws them.
 */
export const DETAIL_ZOOM = 0.5;

/** True inside a fleet drill-down (TopologyCanvas with a scope): its cards may be drawn without ports ({@link DETAIL_ZOOM}). */
export const DrillContext = createContext(false);

const zoomedIn = (s: { transform: [number, number, number] }) => s.transform[2] >= DETAIL_ZOOM;
const always = () => true;

function HostNodeImpl({ data }: NodeProps<HostNodeType>) {
  const c = data.card;
  const drill = useContext(DrillContext);
  const detail = useStore(drill ? zoomedIn : always);
  return (
    <div
      className={`host-card${c.dimmed ? ' dimmed' : ''}${c.selected ? ' selected' : ''}${c.named ? '' : ' anonymous'}`}
      style={{ width: c.width, height: c.height }}
      data-testid={`host-${c.id}`}
      data-vtep={c.vtep ?? ''}
      data-l2pop={c.l2pop}
      data-agent-down={c.agentDown ? 'true' : 'false'}
      role="button"
      aria-label={`Host ${c.title}${c.vtep ? `, VTEP ${c.vtep}` : ''}, ${L2POP_TEXT[c.l2pop]}. Open details`}
      tabIndex={0}
      onKeyDown={(e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          dispatch({ type: 'ui/selectHost', id: c.id });
        }
      }}
    >
      <Handle type="target" position={Position.Top} className="center-handle" isConnectable={false} />
      <Handle type="source" position={Position.Top} className="center-handle" isConnectable={false} />
      <div className="host-head" style={{ height: CARD.header }}>
        <div className="host-title-row">
          <span className="host-title" title={c.id}>
            {c.title}
          </span>
          {c.drift && <HostDriftBadge b={c.drift} />}
          <span
            className={`badge l2pop-${c.l2pop}`}
            title={c.agentDown ? `${L2POP_TITLE[c.l2pop]} (as of its last report_state: the agent is down)` : L2POP_TITLE[c.l2pop]}
            data-testid={`l2pop-${c.id}`}
          >
            {L2POP_TEXT[c.l2pop]}
          </span>
        </div>
        <div className="host-sub">
          <span className="mono" title="VTEP (tunneling_ip)">
            {c.vtep ?? 'no VTEP reported'}
          </span>
          <span className="sep">·</span>
          <span title={c.agentType ?? 'No report_state seen for this VTEP yet'}>
            {c.agentType ?? (c.named ? 'agent type unknown' : 'not yet named by an agent report')}
          </span>
        </div>
      </div>
      {c.l2pop === 'off' && (
        <div
          className="host-warning"
          style={{ height: CARD.warning }}
          title="l2_population = false on this agent: BUM goes to the VXLAN multicast group and remote MACs are learned from traffic"
        >
          flood-and-learn: told by the server, not applied
        </div>
      )}
      {c.agentDown && (
        <a
          href={agentDownHref(c.agentDown.host)}
          className="host-warning bad nodrag"
          style={{ height: CARD.warning }}
          title={`No report_state for longer than agent_down_time${c.agentDown.lastReportAt ? ` (last ${c.agentDown.lastReportAt})` : ''}: neutron-server counts this L2 agent as down; its l2pop state is as of its last report. Open the agent_down finding.`}
          data-testid={`host-agent-down-${c.id}`}
          onClick={(e) => e.stopPropagation()}
        >
          agent down{c.agentDown.downSince ? ` since ${c.agentDown.downSince.slice(11, 19)} UTC` : ''} · as of last report
        </a>
      )}
      {c.floodNote && (
        <div
          className="host-warning bad"
          style={{ height: CARD.warning }}
          title="The host's flood list has recipients outside the ideal one (see its host page)"
          data-testid={`host-flood-note-${c.id}`}
        >
          {c.floodNote}
        </div>
      )}
      {c.bridges.map((b) => (detail ? <Bridge key={b.network} hostId={c.id} b={b} /> : <BridgeOutline key={b.network} b={b} />))}
      {c.hiddenBridges > 0 && (
        <div className="bridge-more" style={{ height: CARD.row, marginTop: CARD.bridgeGap }}>
          +{plural(c.hiddenBridges, 'network')} (see details)
        </div>
      )}
    </div>
  );
}

function Bridge({ hostId, b }: { hostId: string; b: BridgeCard }) {
  const ports = b.ports.slice(0, CARD.maxPorts);
  const more = b.ports.length - ports.length;
  const vni = b.vni !== null ? `VNI ${b.vni}` : 'VNI ?';
  const names = useNeutronNames();
  const netName = names?.network(b.network)?.name;
  return (
    <div
      className={`bridge${b.highlighted ? ' highlighted' : ''}${b.dimmed ? ' dimmed' : ''}`}
      data-testid={`bridge-${hostId}-${b.network}`}
      data-network={b.network}
      style={{ marginTop: CARD.bridgeGap, paddingBottom: CARD.bridgePad }}
    >
      <div className="bridge-head" style={{ height: CARD.bridgeHeader }} title={`network ${netName ? `${netName} ` : ''}${b.network}`}>
        {b.bridge ? <span className="mono bridge-name">{b.bridge}</span> : <span className="bridge-name muted">bridge unknown</span>}
        {b.vxlan ? <span className="mono chip">{b.vxlan}</span> : <span className="chip">{vni}</span>}
        {b.vxlan && <span className="muted small">{vni}</span>}
        {b.flood && (
          <span className="flood-mark" title="This VTEP’s flood entry is present: peers replicate this network’s BUM to it">
            flood ✓
          </span>
        )}
      </div>
      {b.collapsed ? (
        <div className="port-row muted" style={{ height: CARD.row }} data-testid={`port-count-${hostId}-${b.network}`}>
          {plural(b.portCount, 'port')}
        </div>
      ) : ports.length === 0 ? (
        <div
          className="port-row muted"
          style={{ height: CARD.row }}
          title="The host is still in the agent’s network_map (it keeps applying this network’s casts) but has no port announced on it"
        >
          no local ports announced
        </div>
      ) : (
        ports.map((p) => {
          const named = names?.port(b.network, p.mac);
          return (
            <div
              className="port-row"
              key={p.mac}
              style={{ height: CARD.row }}
              data-testid={`port-${p.mac}`}
              data-port-id={named?.portId ?? ''}
              title={named ? `${p.mac}\n${portTitle(named)}` : `${p.mac}${p.ips.length ? ` ${p.ips.join(', ')}` : ''}`}
            >
              <span className="mono port-mac">{p.mac}</span>
              <span className="mono port-ip">{p.ips.join(', ') || '—'}</span>
              <PortNameTag port={named} />
            </div>
          );
        })
      )}
      {!b.collapsed && more > 0 && (
        <div className="port-row muted" style={{ height: CARD.row }}>
          +{plural(more, 'more port')}
        </div>
      )}
    </div>
  );
}

/** A bridge without its rows (a drill-down's card below {@link DETAIL_ZOOM}): one box of the bridge's full height, its highlight kept. */
function BridgeOutline({ b }: { b: BridgeCard }) {
  const shown = b.collapsed ? 1 : Math.min(b.ports.length, CARD.maxPorts) + (b.ports.length > CARD.maxPorts ? 1 : 0);
  return (
    <div
      className={`bridge outline${b.highlighted ? ' highlighted' : ''}${b.dimmed ? ' dimmed' : ''}`}
      data-network={b.network}
      style={{ marginTop: CARD.bridgeGap, height: CARD.bridgeHeader + Math.max(1, shown) * CARD.row + CARD.bridgePad }}
    />
  );
}

/** The host view of a host on its card: drift count coloured by the worst class; a link to its page (as of the page's T, if any). */
function HostDriftBadge({ b }: { b: DriftBadge }) {
  const { at } = useAsOf();
  const tone = b.worst ? DRIFT_META[b.worst].tone : b.floodMissing ? 'bad' : b.floodExcess ? 'excess' : 'ok';
  const flood = [b.floodMissing ? `${b.floodMissing} missing` : '', b.floodExcess ? `${b.floodExcess} excess` : ''].filter(Boolean).join(', ');
  return (
    <Link
      href={hostHref(b.host, at)}
      // no prefetch: a drill-down shows up to 40 cards, each prefetch a server render
      prefetch={false}
      className={`badge drift-badge nodrag tone-${tone}`}
      title={badgeTitle(b)}
      data-testid={`host-drift-badge-${b.host}`}
      data-count={b.total}
      data-worst={b.worst ?? ''}
      onClick={(e) => e.stopPropagation()}
    >
      {b.total > 0 ? `${b.total} ${b.worst === 'learned_only' ? 'learned only' : 'drift'}` : flood ? `flood: ${flood}` : '✓ no drift'}
    </Link>
  );
}

/** Memoised: re-renders only when its card object changes. */
export const HostNode = memo(HostNodeImpl);
