'use client';
/**
 * Viewport policy of the topology: fit the picture when its structure changes (hosts come or go,
 * or a large cloud is re-packed for a picked network) once the new layout is in place, when the
 * side panel opens or closes, and when a re-layout leaves cards outside the view (or leaves the
 * picture much smaller than a fit would make it) — until the
 * operator pans or zooms. From then on the viewport is theirs: live updates never move it (the
 * controls' Fit button brings the whole picture back).
 */
import { type Viewport, getViewportForBounds, useReactFlow, useStore } from '@xyflow/react';
import { useCallback, useEffect, useRef } from 'react';
import type { TopologyGraph } from '@/topology/graph';
import { useL2 } from '@/state/store';

const PADDING = 0.12;
const MAX_ZOOM = 1.1;

/**
 * The viewport the auto-fit will choose for these cards (React Flow's `getViewportForBounds`, the
 * same padding and zoom bounds), in a canvas of `width` x `height` px; null when there is nothing
 * to fit. A drill-down sets it before its cards first show, so they are drawn once, at the zoom
 * they will be seen at (a card's detail depends on it, HostNode's `DETAIL_ZOOM`).
 */
export function fitViewportOf(
  positions: ReadonlyMap<string, { x: number; y: number }>,
  cards: readonly { id: string; width: number; height: number }[],
  width: number,
  height: number,
  minZoom: number,
): Viewport | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const c of cards) {
    const p = positions.get(c.id);
    if (!p) continue;
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + c.width);
    maxY = Math.max(maxY, p.y + c.height);
  }
  if (!(width > 0 && height > 0 && maxX > minX && maxY > minY)) return null;
  return getViewportForBounds({ x: minX, y: minY, width: maxX - minX, height: maxY - minY }, width, height, minZoom, MAX_ZOOM, PADDING);
}

/** Returns the `onMoveStart` handler that detects the operator's own pans and zooms. */
export function useAutoFit(graph: TopologyGraph, layoutGen: number): (event: MouseEvent | TouchEvent | null) => void {
  const { fitView, getNodes, getNodesBounds, getViewport } = useReactFlow();
  const size = useStore((s) => `${s.width}x${s.height}`);
  const panelOpen = useL2((s) => s.ui.selectedHost !== null);
  const selectedNetwork = useL2((s) => s.ui.selectedNetwork);
  const userMoved = useRef(false);
  const prev = useRef({ structure: '', view: '', gen: 0 });
  /** Fit once a layout newer than this generation is on screen (null: nothing due). */
  const due = useRef<number | null>(null);

  const hostCount = graph.hosts.length;
  const idsKey = graph.hosts.map((h) => h.id).join('\u0000');
  const structure = `${idsKey}#${graph.large ? (selectedNetwork ?? '') : ''}`;
  const view = `${panelOpen}|${selectedNetwork ?? ''}`;
  // a large cloud with a network picked: the fit frames that network's members
  const focusIds =
    graph.large && selectedNetwork
      ? graph.hosts
          .filter((h) => !h.dimmed)
          .map((h) => h.id)
          .join('\u0000')
      : '';

  useEffect(() => {
    const p = prev.current;
    const relaidOut = layoutGen !== p.gen;
    if (structure !== p.structure) due.current = layoutGen;
    else if (view !== p.view) due.current ??= layoutGen - 1;
    prev.current = { structure, view, gen: layoutGen };
    if (due.current === null && relaidOut && !userMoved.current && hostCount > 0) {
      // same hosts, new places (cards grew, memberships changed): refit only if some card left the
      // view, or the picture shrank to a corner of it
      const id = requestAnimationFrame(() => {
        const [w, h] = size.split('x').map(Number) as [number, number];
        const focus = focusIds ? new Set(focusIds.split('\u0000')) : null;
        const nodes = getNodes().filter((n) => !n.hidden && (!focus || focus.has(n.id)));
        if (!nodes.length || !w || !h) return;
        const b = getNodesBounds(nodes);
        const v = getViewport();
        const inside = b.x >= -v.x / v.zoom && b.y >= -v.y / v.zoom && b.x + b.width <= (w - v.x) / v.zoom && b.y + b.height <= (h - v.y) / v.zoom;
        // the zoom a fit would choose (React Flow's formula): refit when the picture could be a quarter larger
        const fitZoom = Math.min(MAX_ZOOM, w / (b.width * (1 + PADDING)), h / (b.height * (1 + PADDING)));
        if (!inside || v.zoom < fitZoom / 1.25) void fitView({ padding: PADDING, maxZoom: MAX_ZOOM, duration: 0, nodes });
      });
      return () => cancelAnimationFrame(id);
    }
    if (due.current === null || layoutGen <= due.current || hostCount === 0) return;
    if (userMoved.current) {
      due.current = null;
      return;
    }
    const target = due.current;
    let inner = 0;
    const outer = requestAnimationFrame(() => {
      inner = requestAnimationFrame(() => {
        if (due.current !== target) return;
        due.current = null;
        const focus = focusIds ? focusIds.split('\u0000').map((id) => ({ id })) : [];
        void fitView({ padding: PADDING, maxZoom: MAX_ZOOM, duration: 0, ...(focus.length ? { nodes: focus } : {}) });
      });
    });
    return () => {
      cancelAnimationFrame(outer);
      cancelAnimationFrame(inner);
    };
  }, [structure, view, layoutGen, hostCount, focusIds, fitView, getNodes, getNodesBounds, getViewport, size]);

  return useCallback((event: MouseEvent | TouchEvent | null) => {
    if (event) userMoved.current = true; // programmatic moves (fitView, zoom buttons) have no event
  }, []);
}
