'use client';
/**
 * The fleet view's renderer state, outside React: a graphology graph (one node per host, one
 * label node per group) drawn by sigma.js (WebGL). The store is read by a plain subscription,
 * throttled to {@link FLEET_THROTTLE_MS}: a burst of 1,000 agents' report_state becomes one pass
 * of attribute updates on the graph (sigma redraws on the graph's events), never 1,000 React
 * re-renders. React only hears of structure changes (hosts or groups came or went, the group
 * list beside the canvas), through the returned summary.
 *
 * Positions come from the pure fleet layout (fleet-layout.ts), run inline: it is O(groups), far
 * cheaper than starting a Web Worker for it.
 */
import Graph from 'graphology';
import Sigma from 'sigma';
import { type RefObject, useEffect, useRef, useState } from 'react';
import type { ModelSnapshot } from '@l2scope/domain';
import { type Fleet, type FleetColourBy, type FleetOverlay, buildFleet, groupCounts, hostColour, hostSize } from '@/topology/fleet';
import { type FleetLayout, fleetLayout, pointInBox } from '@/topology/fleet-layout';
import { type L2State, l2store } from '@/state/store';

/** Live changes are folded into the graph at most this often. */
export const FLEET_THROTTLE_MS = 250;

/** What React renders beside the canvas (changes only with the structure or the counts). */
export interface FleetSummary {
  rule: Fleet['rule'];
  groups: { key: string; hosts: number; drift: number; down: number; floodLearn: number }[];
  hosts: number;
  /** Layout generation drawn (0 before the first). */
  drawn: number;
}

/** A click on the canvas: a host point or a group label. */
export type FleetPick = { kind: 'host'; host: string } | { kind: 'group'; group: string };

/** The browser automation hook (Playwright): where a host or group is on screen, and the renderer. */
export interface FleetProbe {
  viewportOf(node: string): { x: number; y: number } | null;
  hosts(): string[];
  /** Whether the camera is still moving (a wheel zoom's animation): points are not where they will stay. */
  moving(): boolean;
}

declare global {
  interface Window {
    l2scopeFleet?: FleetProbe;
  }
}

const GROUP_NODE = 'group:';

function overlayOf(s: L2State): FleetOverlay {
  const downAgents = new Set<string>();
  for (const f of s.nodes.view.findings) if (f.kind === 'agent_down') for (const h of f.hosts) downAgents.add(h);
  return { summaries: s.nodes.view.hosts, downAgents };
}

function structureKey(f: Fleet): string {
  return f.groups.map((g) => `${g.key}\u0001${g.hosts.join('\u0002')}`).join('\u0000');
}

function summaryOf(f: Fleet, drawn: number): FleetSummary {
  return { rule: f.rule, hosts: f.hosts.length, drawn, groups: f.groups.map((g) => ({ key: g.key, ...groupCounts(f, g.key) })) };
}

/**
 * Sigma finds the node under the mouse by reading a pixel back from the GPU (`readPixels` on its
 * picking layer), on every mouse move, wheel step and button event. A read-back waits for every
 * frame queued before it: in the perf script's pan/zoom (Chromium's software WebGL) those waits
 * were 12.1 of the main thread's 14.4 s (a Chrome trace at load 25). While the mouse is down
 * (a drag) or the camera moves (a wheel zoom, the inertia after a drag) nothing is hovered or
 * clicked, so no pixel is read: the node under the mouse is null then. Hover and click, the mouse
 * up and the camera still, read as before. (`getNodeAtPosition` is sigma 3's private picking
 * method, wrapped on this instance.)
 */
function skipPickingWhileMoving(renderer: Sigma): void {
  const picker = renderer as unknown as { getNodeAtPosition(p: { x: number; y: number }): string | null };
  const pick = picker.getNodeAtPosition.bind(renderer);
  const captor = renderer.getMouseCaptor();
  const camera = renderer.getCamera();
  picker.getNodeAtPosition = (p) => (captor.isMouseDown || camera.isAnimated() ? null : pick(p));
}

/**
 * Mount sigma on `container` and keep its graph in step with the store.
 * @param colourBy point colours (drift / liveness / mode)
 * @param onPick a click on a host point or a group label
 */
export function useFleetGraph(container: RefObject<HTMLDivElement | null>, colourBy: FleetColourBy, onPick: (p: FleetPick) => void): FleetSummary {
  const [summary, setSummary] = useState<FleetSummary>({ rule: 'subnet', groups: [], hosts: 0, drawn: 0 });
  const colourRef = useRef(colourBy);
  const pickRef = useRef(onPick);
  const recolour = useRef<(() => void) | null>(null);
  useEffect(() => {
    pickRef.current = onPick;
  }, [onPick]);

  useEffect(() => {
    colourRef.current = colourBy;
    recolour.current?.();
  }, [colourBy]);

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const graph = new Graph({ type: 'undirected', multi: false });
    const renderer = new Sigma(graph, el, {
      allowInvalidContainer: true,
      renderEdgeLabels: false,
      labelRenderedSizeThreshold: 9,
      hideLabelsOnMove: true,
      labelDensity: 0.5,
      labelFont: 'system-ui, sans-serif',
      labelSize: 11,
      zIndex: true,
      minCameraRatio: 0.02,
      maxCameraRatio: 4,
      zoomToSizeRatioFunction: (ratio) => Math.max(0.35, Math.sqrt(ratio)),
    });
    skipPickingWhileMoving(renderer);
    renderer.on('clickNode', ({ node }) => {
      if (node.startsWith(GROUP_NODE)) pickRef.current({ kind: 'group', group: node.slice(GROUP_NODE.length) });
      else pickRef.current({ kind: 'host', host: node });
    });
    renderer.on('enterNode', () => el.classList.add('pointer'));
    renderer.on('leaveNode', () => el.classList.remove('pointer'));

    let fleet: Fleet | null = null;
    let key = '';
    let gen = 0;
    let disposed = false;
    let lastSnapshot: ModelSnapshot['hosts'] | null = null;
    let lastView: unknown = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let drawnMarked = false;

    const paint = () => {
      if (!fleet) return;
      const by = colourRef.current;
      for (const h of fleet.hosts) {
        if (!graph.hasNode(h.id)) continue;
        const color = hostColour(h.state, by);
        const size = hostSize(h.state);
        const a = graph.getNodeAttributes(h.id);
        if (a.color !== color || a.size !== size) graph.mergeNodeAttributes(h.id, { color, size, zIndex: size > 4 ? 1 : 0 });
      }
    };
    recolour.current = paint;

    const place = (f: Fleet, layout: FleetLayout) => {
      const byGroup = new Map(layout.boxes.map((b) => [b.key, b]));
      const keep = new Set<string>();
      const titles = new Map(f.hosts.map((h) => [h.id, h.title]));
      for (const g of f.groups) {
        const box = byGroup.get(g.key);
        if (!box) continue;
        const gid = GROUP_NODE + g.key;
        keep.add(gid);
        const c = groupCounts(f, g.key);
        const label = `${g.key}${c.drift ? ` · ${c.drift} drift` : ''}${c.down ? ` · ${c.down} down` : ''}`;
        graph.mergeNode(gid, { x: box.x - 0.5, y: -(box.y - 1.6), size: 3, color: '#475569', label, forceLabel: true, zIndex: 2 });
        g.hosts.forEach((id, i) => {
          const p = pointInBox(box, i);
          keep.add(id);
          graph.mergeNode(id, { x: p.x, y: -p.y, label: titles.get(id) ?? id });
        });
      }
      graph.forEachNode((n) => {
        if (!keep.has(n)) graph.dropNode(n);
      });
      paint();
      renderer.refresh();
    };

    const sync = () => {
      timer = null;
      if (disposed) return;
      const s = l2store.getState();
      const hosts = s.model.state.snapshot.hosts;
      if (hosts === lastSnapshot && s.nodes.view === lastView) return;
      lastSnapshot = hosts;
      lastView = s.nodes.view;
      const next = buildFleet(hosts, overlayOf(s));
      const nextKey = structureKey(next);
      if (!drawnMarked && hosts.length > 0) performance.mark('l2scope:fleet-built');
      fleet = next;
      if (nextKey === key) {
        // attribute updates only: sigma redraws the changed points
        paint();
        setSummary((prev) => {
          const sum = summaryOf(next, prev.drawn);
          return JSON.stringify(sum) === JSON.stringify(prev) ? prev : sum;
        });
        return;
      }
      key = nextKey;
      const myGen = ++gen;
      const aspect = el.clientWidth > 0 && el.clientHeight > 0 ? el.clientWidth / el.clientHeight : 1.6;
      // O(groups): cheaper inline than the start of a Web Worker (measured: 1.8 s under load)
      const layout = fleetLayout({ groups: next.groups.map((g) => ({ key: g.key, count: g.hosts.length })), aspect });
      if (!drawnMarked) performance.mark('l2scope:fleet-laid-out');
      place(next, layout);
      setSummary(summaryOf(next, myGen));
      if (!drawnMarked && next.hosts.length > 0) {
        drawnMarked = true;
        renderer.once('afterRender', () => performance.mark('l2scope:fleet-drawn'));
        renderer.refresh();
      }
    };
    const schedule = () => {
      if (timer === null && !disposed) timer = setTimeout(sync, FLEET_THROTTLE_MS);
    };
    const unsubscribe = l2store.subscribe(schedule);
    sync();

    window.l2scopeFleet = {
      viewportOf(node) {
        if (!graph.hasNode(node)) return null;
        const a = graph.getNodeAttributes(node) as { x: number; y: number };
        const p = renderer.graphToViewport({ x: a.x, y: a.y });
        const r = el.getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      },
      hosts: () => graph.filterNodes((n) => !n.startsWith(GROUP_NODE)),
      moving: () => renderer.getCamera().isAnimated(),
    };

    return () => {
      disposed = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
      recolour.current = null;
      delete window.l2scopeFleet;
      renderer.kill();
    };
  }, [container]);

  return summary;
}
