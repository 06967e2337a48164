/**
 * Auto-layout of host cards with ELK (elkjs).
 *
 * - Small clouds (<= STRESS_MAX hosts): ELK `stress` on the bipartite graph host -- network
 *   (hosts sharing networks end up close, a network's members around it), then normalised so
 *   the picture does not spin between runs (two hosts side by side; otherwise the first host on
 *   top) and spread until no two cards overlap.
 * - Large clouds: ELK `box` packing in a stable order (by first network, then name), which is
 *   fast for 1,000 cards and keeps a host's place when others come and go. With a network
 *   picked, its members are laid out on top (as a small cloud) and the others packed below.
 */
import type { ELK as ElkEngine, ElkNode } from 'elkjs/lib/elk-api';
import { type HostCard, layoutSlot } from './graph';

/** Above this many hosts, pack cards in a grid instead of a stress layout. */
export const STRESS_MAX = 40;
/**
 * Up to this many hosts, no ELK: the picture a stress layout ends in once normalised (two hosts side
 * by side, three in a triangle with the first on top) is drawn directly ({@link ringLayout}). ELK's
 * first load and stress run (1.5 MB of code) were 1.6 s of a 3-host lab's 4.4 s first paint (perf
 * script, load 8).
 */
export const RING_MAX = 3;
/** Free space kept between cards: wide enough for the tunnel curves and their labels. */
const GAP_X = 150;
const GAP_Y = 70;

export interface Point {
  x: number;
  y: number;
}

let elk: Promise<ElkEngine> | null = null;
/** ELK (~1.5 MB) is loaded on the first layout, not with the page. */
const engine = () => (elk ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK()));

/**
 * Top-left positions for the cards (React Flow's node positions).
 * @param aspect width / height of the canvas: the target shape of a packed (large) layout
 */
export async function layoutHosts(input: readonly HostCard[], aspect = 1.7): Promise<Map<string, Point>> {
  // lay out height slots, not exact heights: a card growing by a port or two keeps its place
  const cards = input.map((c) => ({ ...c, height: layoutSlot(c.height) }));
  if (cards.length === 0) return new Map();
  if (cards.length === 1) return new Map([[cards[0]!.id, { x: 0, y: 0 }]]);
  if (cards.length <= RING_MAX) return ringLayout(cards);
  if (cards.length <= STRESS_MAX) return stressLayout(cards);
  // a large cloud with a network picked (the others dimmed): its members on top, as a mesh
  // (stress) when small enough, the rest packed below
  const members = cards.filter((c) => !c.dimmed);
  if (members.length === 0 || members.length === cards.length) return boxLayout(cards, aspect);
  const top =
    members.length === 1
      ? new Map([[members[0]!.id, { x: 0, y: 0 }]])
      : members.length <= STRESS_MAX
        ? await stressLayout(members)
        : await boxLayout(members, aspect);
  const rest = await boxLayout(
    cards.filter((c) => c.dimmed),
    aspect,
  );
  const box = bounds(top, cards);
  const restBox = bounds(rest, cards);
  const out = new Map<string, Point>();
  for (const [id, p] of top) out.set(id, { x: p.x - box.minX, y: p.y - box.minY });
  for (const [id, p] of rest) out.set(id, { x: p.x - restBox.minX, y: p.y - restBox.minY + box.maxY - box.minY + 240 });
  return out;
}

/**
 * Cards packed in rows, in the order of `order` (ids; cards not in it follow, by id), the rows
 * as long as makes the picture about `aspect` (width / height) wide: the first card top left.
 * Pure and O(cards), no ELK: a fleet drill-down's picture (the clicked host, then its neighbours
 * by networks shared). A stress layout of 40 hosts and their networks (a few hundred nodes) took
 * seconds of the page's main thread (measured by the perf script).
 * @returns top-left positions (React Flow's node positions)
 */
export function packInOrder(input: readonly HostCard[], order: readonly string[], aspect = 1.7): Map<string, Point> {
  const rank = new Map(order.map((id, i) => [id, i]));
  const cards = input
    .map((c) => ({ id: c.id, width: c.width, height: layoutSlot(c.height) }))
    .sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) || a.id.localeCompare(b.id));
  const out = new Map<string, Point>();
  if (cards.length === 0) return out;
  const cellW = Math.max(...cards.map((c) => c.width)) + GAP_X;
  const meanH = cards.reduce((sum, c) => sum + c.height, 0) / cards.length + GAP_Y;
  const cols = Math.max(1, Math.min(cards.length, Math.round(Math.sqrt((cards.length * aspect * meanH) / cellW))));
  let y = 0;
  for (let row = 0; row * cols < cards.length; row++) {
    const line = cards.slice(row * cols, (row + 1) * cols);
    line.forEach((c, i) => out.set(c.id, { x: i * cellW, y }));
    y += Math.max(...line.map((c) => c.height)) + GAP_Y;
  }
  return out;
}

function bounds(pos: ReadonlyMap<string, Point>, cards: readonly HostCard[]) {
  const size = new Map(cards.map((c) => [c.id, c] as const));
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [id, p] of pos) {
    const c = size.get(id);
    if (!c) continue;
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + c.width);
    maxY = Math.max(maxY, p.y + c.height);
  }
  return { minX, minY, maxX, maxY };
}

async function boxLayout(cards: readonly HostCard[], aspect: number): Promise<Map<string, Point>> {
  const firstNet = (c: HostCard) => c.bridges[0]?.vni ?? Number.MAX_SAFE_INTEGER;
  // members of the picked network (not dimmed) first, so its flood mesh is drawn among neighbours
  const ordered = [...cards].sort(
    (a, b) => Number(a.dimmed) - Number(b.dimmed) || firstNet(a) - firstNet(b) || a.title.localeCompare(b.title, undefined, { numeric: true }),
  );
  const n = ordered.length;
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'box',
      'elk.aspectRatio': String(Math.min(4, Math.max(0.5, aspect))),
      'elk.spacing.nodeNode': '40',
      'elk.padding': '[top=0,left=0,bottom=0,right=0]',
    },
    children: ordered.map((c, i) => ({ id: c.id, width: c.width, height: c.height, layoutOptions: { 'elk.priority': String(n - i) } })),
  };
  const res = await (await engine()).layout(graph);
  const out = new Map<string, Point>();
  for (const c of res.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return out;
}

async function stressLayout(cards: readonly HostCard[]): Promise<Map<string, Point>> {
  const networks = new Set<string>();
  const edges: { id: string; sources: string[]; targets: string[] }[] = [];
  for (const c of cards) {
    for (const b of c.bridges) {
      networks.add(b.network);
      edges.push({ id: `${c.id}\u0000${b.network}`, sources: [c.id], targets: [`net\u0000${b.network}`] });
    }
  }
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'stress', 'elk.stress.desiredEdgeLength': '260', 'elk.randomSeed': '1' },
    children: [
      ...cards.map((c) => ({ id: c.id, width: c.width, height: c.height })),
      ...[...networks].map((n) => ({ id: `net\u0000${n}`, width: 10, height: 10 })),
    ],
    edges,
  };
  const res = await (await engine()).layout(graph);
  const size = new Map(cards.map((c) => [c.id, c] as const));
  // centres of the host cards only
  const pts = (res.children ?? [])
    .filter((c) => size.has(c.id))
    .map((c) => ({ id: c.id, x: (c.x ?? 0) + (c.width ?? 0) / 2, y: (c.y ?? 0) + (c.height ?? 0) / 2 }));
  return placeCentres(normaliseRotation(pts, cards[0]!.id), size);
}

type Centre = { id: string; x: number; y: number };

/** Card centres spread until no two overlap, widened, and turned into top-left positions (what both small layouts end with). */
function placeCentres(centres: Centre[], size: ReadonlyMap<string, HostCard>): Map<string, Point> {
  const pts = widen(spread(centres, size), size);
  const out = new Map<string, Point>();
  for (const p of pts) {
    const c = size.get(p.id)!;
    out.set(p.id, { x: Math.round(p.x - c.width / 2), y: Math.round(p.y - c.height / 2) });
  }
  return out;
}

/** The ring's radius before {@link spread} (px): about a stress layout's host-to-host distance (two edges of 260 via a network). */
const RING_RADIUS = 300;

/**
 * Two or three cards (at most {@link RING_MAX}) around a circle, as {@link stressLayout} normalises
 * them: two side by side (the first on the left), three in a triangle (the first on top, the second
 * below it on the left); then spread until no two overlap and widened like a stress layout. Pure,
 * no ELK.
 */
function ringLayout(cards: readonly HostCard[]): Map<string, Point> {
  const size = new Map(cards.map((c) => [c.id, c] as const));
  const start = cards.length === 2 ? Math.PI : -Math.PI / 2;
  const pts: Centre[] = cards.map((c, i) => {
    // clockwise on screen from the first: y grows downwards, so the second lands on the left
    const a = start - (i * 2 * Math.PI) / cards.length;
    return { id: c.id, x: Math.round(Math.cos(a) * RING_RADIUS), y: Math.round(Math.sin(a) * RING_RADIUS) };
  });
  return placeCentres(pts, size);
}

/** Canvases are wider than tall: stretch horizontally (never creates overlaps) up to this aspect ratio. */
const TARGET_ASPECT = 1.7;

function widen(pts: Centre[], size: ReadonlyMap<string, { width: number; height: number }>): Centre[] {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of pts) {
    const s = size.get(p.id)!;
    minX = Math.min(minX, p.x - s.width / 2);
    maxX = Math.max(maxX, p.x + s.width / 2);
    minY = Math.min(minY, p.y - s.height / 2);
    maxY = Math.max(maxY, p.y + s.height / 2);
  }
  const w = maxX - minX;
  const h = maxY - minY;
  const centresW = Math.max(...pts.map((p) => p.x)) - Math.min(...pts.map((p) => p.x));
  if (w <= 0 || h <= 0 || centresW < 1 || w / h >= TARGET_ASPECT) return pts;
  // stretch the centres so the bounding box reaches the target aspect (at most 2.5x)
  const k = Math.min(2.5, 1 + (TARGET_ASPECT * h - w) / centresW);
  return pts.map((p) => ({ ...p, x: p.x * k }));
}

/**
 * Rotate about the centroid: two hosts side by side, else `topId` straight above the centroid;
 * then mirror so the host after `topId` (in card order) is on the left. The same graph then
 * always gives the same picture, whatever orientation the stress run ended in.
 */
function normaliseRotation(pts: Centre[], topId: string): Centre[] {
  const cx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  const anchor = pts.find((p) => p.id === topId) ?? pts[0]!;
  const current = Math.atan2(anchor.y - cy, anchor.x - cx);
  const wanted = pts.length === 2 ? Math.PI : -Math.PI / 2; // 2 hosts: the first on the left
  const a = wanted - current;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const rotated = pts.map((p) => {
    const dx = p.x - cx;
    const dy = p.y - cy;
    return { id: p.id, x: dx * cos - dy * sin, y: dx * sin + dy * cos };
  });
  if (rotated.length < 3) return rotated;
  const second = rotated.find((p) => p.id !== anchor.id)!;
  return second.x > 0 ? rotated.map((p) => ({ ...p, x: -p.x })) : rotated;
}

/**
 * Scale positions about the origin so that no two cards overlap (with GAP_X / GAP_Y between them), then
 * push apart pairs that still do (when the scale was capped).
 */
function spread(pts: Centre[], size: ReadonlyMap<string, { width: number; height: number }>): Centre[] {
  const need = (a: Centre, b: Centre) => {
    const sa = size.get(a.id)!;
    const sb = size.get(b.id)!;
    return { w: (sa.width + sb.width) / 2 + GAP_X, h: (sa.height + sb.height) / 2 + GAP_Y };
  };
  let scale = 0;
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      const a = pts[i]!;
      const b = pts[j]!;
      const { w, h } = need(a, b);
      const dx = Math.abs(a.x - b.x);
      const dy = Math.abs(a.y - b.y);
      const s = Math.min(dx > 1e-6 ? w / dx : Infinity, dy > 1e-6 ? h / dy : Infinity);
      if (s > scale) scale = s;
    }
  }
  scale = Math.min(Math.max(scale, 0.2), 4);
  const out = pts.map((p) => ({ ...p, x: p.x * scale, y: p.y * scale }));
  for (let iter = 0; iter < 50; iter++) {
    let moved = false;
    for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!;
        const b = out[j]!;
        const { w, h } = need(a, b);
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const ox = w - Math.abs(dx);
        const oy = h - Math.abs(dy);
        if (ox <= 0 || oy <= 0) continue;
        moved = true;
        if (ox < oy) {
          const d = (ox / 2 + 1) * (dx >= 0 ? 1 : -1);
          a.x -= d;
          b.x += d;
        } else {
          const d = (oy / 2 + 1) * (dy >= 0 ? 1 : -1);
          a.y -= d;
          b.y += d;
        }
      }
    }
    if (!moved) break;
  }
  return out;
}
