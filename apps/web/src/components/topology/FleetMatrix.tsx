'use client';
/**
 * The VNI x host matrix of one fleet group (rows networks by VNI, columns the group's hosts),
 * drawn on one canvas: a 256-host group over 300 networks is 77k cells and one DOM node. With a
 * network picked, its row only. The cell under the pointer is named below the canvas.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useDebounced } from '@/hooks/use-debounced';
import { useL2 } from '@/state/store';
import { buildFleet } from '@/topology/fleet';
import { MatrixCell, vniMatrix } from '@/topology/fleet-scope';

const CELL = 4;
const COLOURS: Record<number, string> = {
  [MatrixCell.Member]: '#cbd5e1',
  [MatrixCell.Flood]: '#2563eb',
  [MatrixCell.NoFlood]: '#dc2626',
};
const WORDS: Record<number, string> = {
  [MatrixCell.None]: 'not on it',
  [MatrixCell.Member]: 'member, nothing announced',
  [MatrixCell.Flood]: 'ports announced, flood entry present',
  [MatrixCell.NoFlood]: 'ports announced, no flood entry',
};

/** The matrix of `group` (a fleet group key). */
export function FleetMatrix({ group }: { group: string }) {
  const live = useL2((s) => s.model.state.snapshot);
  const network = useL2((s) => s.ui.selectedNetwork);
  const snapshot = useDebounced(live, 500);
  const matrix = useMemo(() => {
    const fleet = buildFleet(snapshot.hosts, { summaries: new Map(), downAgents: new Set() });
    const hosts = fleet.groups.find((g) => g.key === group)?.hosts ?? [];
    return vniMatrix(snapshot, hosts, network);
  }, [snapshot, group, network]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string>('');
  const cols = matrix.hosts.length;
  const rows = matrix.networks.length;

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, cols * CELL, rows * CELL);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = matrix.cells[r * cols + c]!;
        if (v === MatrixCell.None) continue;
        ctx.fillStyle = COLOURS[v]!;
        ctx.fillRect(c * CELL, r * CELL, CELL - (cols > 200 ? 0 : 1), CELL - 1);
      }
    }
  }, [matrix, cols, rows]);

  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const c = Math.floor((e.clientX - rect.left) / CELL);
    const r = Math.floor((e.clientY - rect.top) / CELL);
    const h = matrix.hosts[c];
    const n = matrix.networks[r];
    setHover(h && n ? `${h.title} · VNI ${n.vni ?? '?'}: ${WORDS[matrix.cells[r * cols + c]!]}` : '');
  };

  return (
    <div className="fleet-matrix" data-testid="fleet-matrix" data-rows={rows} data-cols={cols}>
      <div className="small">
        VNI x host · {group}: {rows} networks x {cols} hosts
      </div>
      <div className="fleet-matrix-scroll">
        <canvas
          ref={canvas}
          width={cols * CELL}
          height={rows * CELL}
          onMouseMove={onMove}
          onMouseLeave={() => setHover('')}
          aria-label={`VNI by host matrix of ${group}`}
        />
      </div>
      <div className="muted small" data-testid="fleet-matrix-cell">
        {hover || 'blue: flood entry present · red: ports but no flood entry · grey: member only'}
      </div>
    </div>
  );
}
