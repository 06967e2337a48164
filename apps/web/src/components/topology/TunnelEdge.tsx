'use client';
/**
 * A tunnel entry between two hosts, drawn as a curve from card border to card border (floating
 * edge): dashed amber for a flood entry (BUM replication), solid blue with a MAC count for
 * unicast entries. Each direction keeps to its own side, each network to its own lane.
 */
import { EdgeLabelRenderer, type EdgeProps, type InternalNode, useInternalNode } from '@xyflow/react';
import { memo } from 'react';
import { tunnelGeometry } from '@/topology/geometry';
import { plural } from '@/lib/format';
import type { TunnelEdgeType } from '@/hooks/use-topology';

function box(n: InternalNode) {
  const w = n.measured.width ?? n.width ?? 0;
  const h = n.measured.height ?? n.height ?? 0;
  return { x: n.internals.positionAbsolute.x, y: n.internals.positionAbsolute.y, width: w, height: h };
}

function TunnelEdgeImpl({ source, target, data, markerEnd }: EdgeProps<TunnelEdgeType>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const e = data.tunnel;
  const g = tunnelGeometry(box(s), box(t), e.offset);
  if (!g) return null;
  const vni = e.vni !== null ? `VNI ${e.vni}` : `network ${e.network}`;
  const notApplied = e.applied === false ? ' — told by the server, NOT applied (l2_population = false on this agent)' : '';
  const title =
    (e.kind === 'flood'
      ? `${data.sourceTitle} → ${data.targetTitle} (${vni}): flood entry 00:00:00:00:00:00 dst ${e.targetVtep} — ${data.sourceTitle} replicates this network’s BUM to ${e.targetVtep}`
      : `${data.sourceTitle} → ${data.targetTitle} (${vni}): ${plural(e.macs, 'unicast FDB entry', 'unicast FDB entries')} dst ${e.targetVtep}`) + notApplied;
  return (
    <>
      <g className={`tunnel ${e.kind}${e.dimmed ? ' dimmed' : ''}${e.applied === false ? ' not-applied' : ''}`}>
        <path d={g.path} className="tunnel-hit" fill="none">
          <title>{title}</title>
        </path>
        <path
          d={g.path}
          className="tunnel-path"
          fill="none"
          markerEnd={markerEnd}
          data-testid={`edge-${e.kind}-${e.network}-${e.sourceVtep}-${e.targetVtep}`}
          data-network={e.network}
          data-source={e.source}
          data-target={e.target}
          data-applied={e.applied === null ? 'unknown' : String(e.applied)}
        >
          <title>{title}</title>
        </path>
      </g>
      {e.kind === 'unicast' && !e.dimmed && (
        <EdgeLabelRenderer>
          <div className={`tunnel-label${e.applied === false ? ' not-applied' : ''}`} style={{ transform: `translate(-50%, -50%) translate(${g.label.x}px, ${g.label.y}px)` }} title={title}>
            {plural(e.macs, 'MAC')}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

/** Memoised floating tunnel edge. */
export const TunnelEdgeView = memo(TunnelEdgeImpl);
