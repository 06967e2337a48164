'use client';
/**
 * The topology's React Flow state: the store's model and host view (or, as of T, `history.at`'s model
 * and `history.overview`'s drift) -> (debounced) graph -> (debounced) ELK
 * layout -> nodes and edges. Card objects keep their identity while unchanged so memoised nodes
 * do not re-render on unrelated updates; positions only change when the layout key changes
 * (hosts, memberships, card sizes) — the viewport is never moved by updates.
 */
import { type Edge, type Node, type NodeChange, MarkerType, applyNodeChanges, useReactFlow, useStore, useStoreApi } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type HostCard, type TopologyGraph, type TunnelEdge, buildTopology } from '@/topology/graph';
import { scopeSnapshot } from '@/topology/fleet-scope';
import { type Point, layoutHosts, packInOrder } from '@/topology/layout';
import { useL2 } from '@/state/store';
import { useAsOf, useAsOfModel } from './use-as-of';
import { fitViewportOf } from './use-auto-fit';
import { useDebounced } from './use-debounced';
import { useAsOfOverlay, useNodeOverlay } from './use-node-overlay';

export type HostNodeData = { card: HostCard };
export type HostNodeType = Node<HostNodeData, 'host'>;
export type TunnelEdgeData = { tunnel: TunnelEdge; sourceTitle: string; targetTitle: string };
export type TunnelEdgeType = Edge<TunnelEdgeData, 'tunnel'>;

const MODEL_DEBOUNCE_MS = 120;
const LAYOUT_DEBOUNCE_MS = 200;

export const EDGE_COLORS = { flood: '#c27803', unicast: '#2563eb', missing: '#dc2626', excess: '#7c3aed' } as const;

/**
 * Cards keep identity while their content is unchanged (cheap structural signature), so memoised
 * host nodes skip re-rendering. One topology per page: the cache lives at module level and holds
 * only the current hosts.
 */
let cardCache = new Map<string, { sig: string; card: HostCard }>();
function stableCards(graph: TopologyGraph): HostCard[] {
  const next = new Map<string, { sig: string; card: HostCard }>();
  const out = graph.hosts.map((card) => {
    const sig = JSON.stringify(card);
    const prev = cardCache.get(card.id);
    const kept = prev && prev.sig === sig ? prev.card : card;
    next.set(card.id, { sig, card: kept });
    return kept;
  });
  cardCache = next;
  return out;
}

export interface TopologyView {
  nodes: HostNodeType[];
  edges: TunnelEdgeType[];
  graph: TopologyGraph;
  /** Hosts waiting for their first position. */
  laidOut: boolean;
  /** Layout generation the current nodes were positioned with (bumps on every re-layout). */
  layoutGen: number;
  onNodesChange: (changes: NodeChange<HostNodeType>[]) => void;
}

/**
 * Nodes and edges for the topology canvas.
 * @param scope host ids to draw (a fleet drill-down, at most DRILL_MAX_HOSTS), packed in rows in
 *   this order (`packInOrder`); null: every host, laid out by ELK (`layoutHosts`)
 */
export function useTopology(scope: readonly string[] | null = null): TopologyView {
  const liveModel = useL2((s) => s.model.state);
  // as of T (the time slider): the stored model of T, with the host view's overlay of T (drift badges, down agents)
  const { at } = useAsOf();
  const asOf = useAsOfModel();
  const fullModel = asOf ?? liveModel;
  const model = useMemo(() => (scope ? { seq: fullModel.seq, snapshot: scopeSnapshot(fullModel.snapshot, scope) } : fullModel), [fullModel, scope]);
  const selectedNetwork = useL2((s) => s.ui.selectedNetwork);
  const selectedHost = useL2((s) => s.ui.selectedHost);
  const debouncedModel = useDebounced(model, MODEL_DEBOUNCE_MS);
  const liveOverlay = useNodeOverlay();
  const asOfOverlay = useAsOfOverlay(at);
  const overlay = at ? asOfOverlay : liveOverlay;

  const graph = useMemo(
    () => buildTopology(debouncedModel, { selectedNetwork, selectedHost, overlay }),
    [debouncedModel, selectedNetwork, selectedHost, overlay],
  );
  const cards = useMemo(() => stableCards(graph), [graph]);

  // Layout input: the cards (and, for large clouds, the canvas shape) as of the last layout-key
  // change — state adjusted during render, then debounced. Resizing alone never re-packs the cards.
  const aspect = useStore((s) => (s.width > 0 && s.height > 0 ? Math.round((s.width / s.height) * 4) / 4 : 1.75));
  const [layoutInput, setLayoutInput] = useState<{ key: string; cards: HostCard[]; aspect: number }>({ key: '', cards: [], aspect: 1.75 });
  if (layoutInput.key !== graph.layoutKey) setLayoutInput({ key: graph.layoutKey, cards, aspect });
  // a drill-down is drawn at once (its hosts are fixed while it is open), packed in its order
  const debouncedInput = useDebounced(layoutInput, LAYOUT_DEBOUNCE_MS);
  const input = scope ? layoutInput : debouncedInput;
  const [positions, setPositions] = useState<{ map: Map<string, Point>; gen: number }>({ map: new Map(), gen: 0 });
  const flow = useStoreApi();
  const { setViewport } = useReactFlow();
  const drillFitted = useRef(false);
  useEffect(() => {
    let cancelled = false;
    if (scope) {
      // a drill-down: packed at once, and the view fitted to its first picture before its cards
      // show (drawn once, at the zoom they are seen at; the auto-fit then finds the view in place)
      if (input.cards.length === 0) return;
      const map = packInOrder(input.cards, scope, input.aspect);
      if (!drillFitted.current) {
        const { width, height, minZoom } = flow.getState();
        const view = fitViewportOf(map, input.cards, width, height, minZoom);
        if (view) void setViewport(view);
        drillFitted.current = view !== null;
      }
      void Promise.resolve().then(() => {
        if (!cancelled) setPositions((p) => ({ map, gen: p.gen + 1 }));
      });
    } else {
      void layoutHosts(input.cards, input.aspect).then(
        (map) => {
          if (!cancelled) setPositions((p) => ({ map, gen: p.gen + 1 }));
        },
        (err: unknown) => console.error('layout failed', err),
      );
    }
    return () => {
      cancelled = true;
    };
  }, [input, scope, flow, setViewport]);

  // React Flow nodes: controlled, with user drags kept until the next layout
  const [nodes, setNodes] = useState<HostNodeType[]>([]);
  const [builtGen, setBuiltGen] = useState(0);
  const dragged = useRef(new Map<string, Point>());
  const lastGen = useRef(0);
  useEffect(() => {
    if (positions.gen !== lastGen.current) {
      dragged.current.clear();
      lastGen.current = positions.gen;
    }
    setNodes((prev) => {
      const prevById = new Map(prev.map((n) => [n.id, n]));
      let fallbackY = 0;
      for (const p of positions.map.values()) fallbackY = Math.max(fallbackY, p.y);
      return cards.map((card, i): HostNodeType => {
        const old = prevById.get(card.id);
        const laid = positions.map.get(card.id);
        const position = dragged.current.get(card.id) ?? laid ?? old?.position ?? { x: (i % 6) * 340, y: fallbackY + 400 };
        if (old && old.data.card === card && old.position.x === position.x && old.position.y === position.y && old.hidden === !laid) return old;
        return {
          id: card.id,
          type: 'host',
          position,
          data: { card },
          width: card.width,
          height: card.height,
          // not shown until the layout has placed it: no card flies across the canvas
          hidden: !laid && !old,
          selected: old?.selected ?? false,
          ...(old?.measured ? { measured: old.measured } : {}),
        };
      });
    });
    setBuiltGen(positions.gen);
  }, [cards, positions]);

  const onNodesChange = useCallback((changes: NodeChange<HostNodeType>[]) => {
    for (const c of changes) if (c.type === 'position' && c.position && c.dragging) dragged.current.set(c.id, c.position);
    setNodes((nds) => applyNodeChanges(changes, nds));
  }, []);

  const titles = useMemo(() => new Map(cards.map((c) => [c.id, c.title])), [cards]);
  const edges = useMemo(
    () =>
      graph.edges.map((t): TunnelEdgeType => ({
        id: t.id,
        type: 'tunnel',
        source: t.source,
        target: t.target,
        data: { tunnel: t, sourceTitle: titles.get(t.source) ?? t.source, targetTitle: titles.get(t.target) ?? t.target },
        markerEnd: { type: MarkerType.ArrowClosed, color: EDGE_COLORS[t.kind], width: 16, height: 16 },
        focusable: false,
        selectable: false,
      })),
    [graph.edges, titles],
  );

  return { nodes, edges, graph, laidOut: positions.gen > 0, layoutGen: builtGen, onNodesChange };
}
