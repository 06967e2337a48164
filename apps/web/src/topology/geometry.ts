/** Geometry of floating tunnel edges between two card rectangles. Pure. */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TunnelGeometry {
  /** SVG path (quadratic curve) from the source card's border to the target card's border. */
  path: string;
  /** Label anchor: a third of the way from the source, so labels of crossing edges do not meet in the middle. */
  label: { x: number; y: number };
}

const MARGIN = 4;
/** Curve parameter of the label (0 = source border, 1 = target border). */
const LABEL_AT = 0.34;

/** Where the ray from the rectangle's centre towards `toward` leaves the rectangle (plus a margin). */
export function borderPoint(r: Rect, toward: { x: number; y: number }): { x: number; y: number } {
  const cx = r.x + r.width / 2;
  const cy = r.y + r.height / 2;
  const vx = toward.x - cx;
  const vy = toward.y - cy;
  if (vx === 0 && vy === 0) return { x: cx, y: cy };
  const hw = r.width / 2 + MARGIN;
  const hh = r.height / 2 + MARGIN;
  const t = Math.min(vx !== 0 ? hw / Math.abs(vx) : Infinity, vy !== 0 ? hh / Math.abs(vy) : Infinity);
  return { x: cx + vx * t, y: cy + vy * t };
}

/**
 * A curve from `s` to `t` bulging `offset` px to the right of the direction s -> t, so the two
 * directions of a pair, and each network's lane, stay apart. Null when the cards overlap.
 * `labelAt`: curve parameter of the label anchor (default a third of the way).
 */
export function tunnelGeometry(s: Rect, t: Rect, offset: number, labelAt: number = LABEL_AT): TunnelGeometry | null {
  const sc = { x: s.x + s.width / 2, y: s.y + s.height / 2 };
  const tc = { x: t.x + t.width / 2, y: t.y + t.height / 2 };
  const dx = tc.x - sc.x;
  const dy = tc.y - sc.y;
  const len = Math.hypot(dx, dy);
  if (len < 1) return null;
  const nx = -dy / len;
  const ny = dx / len;
  // control point: twice the wanted bulge (a quadratic curve peaks halfway to its control point)
  const c = { x: (sc.x + tc.x) / 2 + nx * offset * 2, y: (sc.y + tc.y) / 2 + ny * offset * 2 };
  const a = borderPoint(s, c);
  const b = borderPoint(t, c);
  const u = labelAt;
  const k0 = (1 - u) * (1 - u);
  const k1 = 2 * (1 - u) * u;
  const k2 = u * u;
  const label = { x: k0 * a.x + k1 * c.x + k2 * b.x, y: k0 * a.y + k1 * c.y + k2 * b.y };
  const f = (n: number) => n.toFixed(1);
  return { path: `M ${f(a.x)} ${f(a.y)} Q ${f(c.x)} ${f(c.y)} ${f(b.x)} ${f(b.y)}`, label };
}
