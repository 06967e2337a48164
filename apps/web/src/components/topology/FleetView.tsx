'use client';
/**
 * The fleet view (past FLEET_THRESHOLD hosts): every host a point, grouped and coloured, drawn by
 * sigma.js in WebGL (use-fleet-graph.ts owns the graph); the group list and the VNI x host matrix
 * of the picked group beside it. A click on a point or a group drills down to React Flow.
 */
import { useCallback, useRef, useState } from 'react';
import { type FleetColourBy, FLEET_COLOURS } from '@/topology/fleet';
import { type FleetPick, useFleetGraph } from '@/hooks/use-fleet-graph';
import { FleetMatrix } from './FleetMatrix';

const RULES = { zone: 'availability zone', name: 'host name pattern', subnet: 'VTEP /24' } as const;

const LEGENDS: Record<FleetColourBy, [string, string][]> = {
  drift: [
    [FLEET_COLOURS.drift, 'drift'],
    [FLEET_COLOURS.ok, 'no drift'],
    [FLEET_COLOURS.noAgent, 'no node agent'],
  ],
  liveness: [
    [FLEET_COLOURS.alive, 'agent alive'],
    [FLEET_COLOURS.down, 'agent down'],
  ],
  mode: [
    [FLEET_COLOURS.l2pop, 'l2pop'],
    [FLEET_COLOURS.l2popArp, 'l2pop + ARP responder'],
    [FLEET_COLOURS.floodLearn, 'flood-and-learn'],
    [FLEET_COLOURS.unknown, 'unknown'],
  ],
};

/** The fleet canvas, its legend, group list and matrix. `onPick`: a host point or a group was clicked. */
export function FleetView({ onPick }: { onPick: (p: FleetPick) => void }) {
  const container = useRef<HTMLDivElement>(null);
  const [colourBy, setColourBy] = useState<FleetColourBy>('drift');
  const summary = useFleetGraph(container, colourBy, onPick);
  const [picked, setPicked] = useState<string | null>(null);
  const group = summary.groups.some((g) => g.key === picked) ? picked : (summary.groups[0]?.key ?? null);
  const drill = useCallback((g: string) => onPick({ kind: 'group', group: g }), [onPick]);

  return (
    <div className="fleet" data-testid="fleet-view" data-drawn={summary.drawn > 0 ? 'true' : 'false'} data-hosts={summary.hosts}>
      <div className="fleet-bar">
        <span className="muted small" data-testid="fleet-rule">
          {summary.hosts} hosts in {summary.groups.length} groups by {RULES[summary.rule]}
        </span>
        <label className="field">
          <span>Colour by</span>
          <select data-testid="fleet-colour" value={colourBy} onChange={(e) => setColourBy(e.target.value as FleetColourBy)}>
            <option value="drift">drift</option>
            <option value="liveness">liveness</option>
            <option value="mode">mode</option>
          </select>
        </label>
        <span className="legend" aria-label="Point colours">
          {LEGENDS[colourBy].map(([c, label]) => (
            <span key={label} className="legend-item">
              <span className="fleet-dot" style={{ background: c }} aria-hidden />
              {label}
            </span>
          ))}
        </span>
        <span className="muted small">click a point or a group label to drill down</span>
      </div>
      <div className="fleet-body">
        <div ref={container} className="fleet-canvas" data-testid="fleet-canvas" aria-label="Hosts grouped, one point per host" />
        <aside className="fleet-side">
          <ul className="fleet-groups" aria-label="Host groups">
            {summary.groups.map((g) => (
              <li key={g.key}>
                <button
                  type="button"
                  className={`link${g.key === group ? ' active' : ''}`}
                  data-testid={`fleet-group-${g.key}`}
                  title="Show this group's VNI x host matrix"
                  onClick={() => setPicked(g.key)}
                >
                  {g.key}
                </button>{' '}
                <span className="muted small">
                  {g.hosts}
                  {g.drift > 0 && <span className="tone-bad"> · {g.drift} drift</span>}
                  {g.down > 0 && <> · {g.down} down</>}
                  {g.floodLearn > 0 && <> · {g.floodLearn} flood-and-learn</>}
                </span>{' '}
                <button type="button" className="btn small" data-testid={`fleet-open-${g.key}`} onClick={() => drill(g.key)}>
                  open →
                </button>
              </li>
            ))}
          </ul>
          {group && <FleetMatrix group={group} />}
        </aside>
      </div>
    </div>
  );
}
