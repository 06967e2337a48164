'use client';
/**
 * A tunnel entry between two hosts, drawn as a curve from card border to card border (floating
 * edge): dashed amber for a flood entry (BUM replication), solid blue with a MAC count for
 * unicast entries, red dashed for a flood recipient the host misses, purple for an excess one.
 * With a BUM report, flood edges move at a speed that follows the measured BUM rate (still when
 * none was seen) and carry the rate. Each direction keeps to its own side, each network to its own lane.
 */
import { EdgeLabelRenderer, type EdgeProps, type InternalNode, useInternalNode } from '@xyflow/react';
import { type CSSProperties, memo } from 'react';
import { tunnelGeometry } from '@/topology/geometry';
import { flowPeriod, flowWidth } from '@/topology/overlay';
import type { TunnelEdge } from '@/topology/graph';
import { perSecond, plural } from '@/lib/format';
import type { TunnelEdgeType } from '@/hooks/use-topology';

function box(n: InternalNode) {
  const w = n.measured.width ?? n.width ?? 0;
  const h = n.measured.height ?? n.height ?? 0;
  return { x: n.internals.positionAbsolute.x, y: n.internals.positionAbsolute.y, width: w, height: h };
}

function describe(e: TunnelEdge, from: string, to: string): string {
  const vni = e.vni !== null ? `VNI ${e.vni}` : `network ${e.network}`;
  const head = `${from} → ${to} (${vni}): `;
  const rate = e.bumFps === null ? '' : ` — measured BUM ${perSecond(e.bumFps)}`;
  switch (e.kind) {
    case 'flood':
      return `${head}flood entry 00:00:00:00:00:00 dst ${e.targetVtep} — ${from} replicates this network’s BUM to ${e.targetVtep}${rate}`;
    case 'unicast':
      return `${head}${plural(e.macs, 'unicast FDB entry', 'unicast FDB entries')} dst ${e.targetVtep}`;
    case 'missing':
      return `${head}MISSING flood recipient: ${e.targetVtep} has ports on this network but ${from} does not replicate BUM to it (DHCP, ARP to it break)${rate}`;
    case 'excess':
      return `${head}EXCESS flood recipient: ${from} replicates BUM to ${e.targetVtep}, which has no ports on this network (wasted copies)${rate}`;
  }
}

function TunnelEdgeImpl({ source, target, data, markerEnd }: EdgeProps<TunnelEdgeType>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const e = data.tunnel;
  // flood-lane labels (rate, missing, excess) sit past the middle, clear of the unicast lane's MAC count
  const g = tunnelGeometry(box(s), box(t), e.offset, e.kind === 'unicast' ? undefined : 0.6);
  if (!g) return null;
  const notApplied = e.applied === false && e.kind !== 'missing' ? ' — told by the server, NOT applied (l2_population = false on this agent)' : '';
  const title = describe(e, data.sourceTitle, data.targetTitle) + notApplied;
  const measured = e.bumFps !== null;
  const period = flowPeriod(e.bumFps);
  const style: CSSProperties | undefined = measured
    ? { strokeWidth: flowWidth(e.bumFps), ...(period ? { animationDuration: `${period.toFixed(2)}s` } : {}) }
    : undefined;
  const label = e.dimmed
    ? null
    : e.kind === 'unicast'
      ? plural(e.macs, 'MAC')
      : e.kind === 'missing'
        ? `✗ not replicated${measured ? ` · ${perSecond(e.bumFps)}` : ''}`
        : e.kind === 'excess'
          ? `excess${measured ? ` · ${perSecond(e.bumFps)}` : ''}`
          : measured
            ? `BUM ${perSecond(e.bumFps)}`
            : null;
  return (
    <>
      <g
        className={`tunnel ${e.kind}${e.dimmed ? ' dimmed' : ''}${e.applied === false ? ' not-applied' : ''}${measured ? (period ? ' measured' : ' measured idle') : ''}`}
      >
        <path d={g.path} className="tunnel-hit" fill="none">
          <title>{title}</title>
        </path>
        <path
          d={g.path}
          className="tunnel-path"
          fill="none"
          markerEnd={markerEnd}
          style={style}
          data-testid={`edge-${e.kind}-${e.network}-${e.sourceVtep}-${e.targetVtep}`}
          data-network={e.network}
          data-source={e.source}
          data-target={e.target}
          data-applied={e.applied === null ? 'unknown' : String(e.applied)}
          data-bum-fps={e.bumFps === null ? '' : e.bumFps.toFixed(3)}
        >
          <title>{title}</title>
        </path>
      </g>
      {label && (
        <EdgeLabelRenderer>
          <div
            className={`tunnel-label ${e.kind}${e.applied === false ? ' not-applied' : ''}${e.bumFps === 0 && e.kind === 'flood' ? ' idle' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${g.label.x}px, ${g.label.y}px)` }}
            title={title}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

/** Memoised floating tunnel edge. */
export const TunnelEdgeView = memo(TunnelEdgeImpl);
