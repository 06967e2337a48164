/**
 * The fleet view's layout: a deterministic grid of points per group, the groups packed in rows
 * (largest first) towards a target aspect ratio. Pure and synchronous, O(groups): the page runs it
 * inline (a Web Worker's start cost more than the layout), and the same input always gives the
 * same picture (no force simulation to settle).
 */

/** Layout input: per group its key and host count, in drawing order. */
export interface FleetLayoutInput {
  groups: { key: string; count: number }[];
  /** Width / height the packing aims for (the canvas' shape); 1.6 when unknown. */
  aspect: number;
}

/** A group's box: its origin, grid columns, and size (layout units: 1 = the point spacing). */
export interface GroupBox {
  key: string;
  x: number;
  y: number;
  cols: number;
  width: number;
  height: number;
}

/** Layout output: one box per group, same order as the input. */
export interface FleetLayout {
  boxes: GroupBox[];
  width: number;
  height: number;
}

/** Space between group boxes, and the band above each for its label (layout units). */
export const GROUP_GAP = 6;

/** Position of the `i`-th host of a group (row-major in its grid), y down. */
export function pointInBox(box: GroupBox, i: number): { x: number; y: number } {
  return { x: box.x + (i % box.cols), y: box.y + Math.floor(i / box.cols) };
}

/**
 * Pack the groups: each a near-square grid (`cols = ceil(sqrt(count))`), placed left to right in
 * rows no wider than `sqrt(total area * aspect)`. O(groups).
 */
export function fleetLayout(input: FleetLayoutInput): FleetLayout {
  const aspect = input.aspect > 0 && Number.isFinite(input.aspect) ? input.aspect : 1.6;
  const sized = input.groups.map((g) => {
    const cols = Math.max(1, Math.ceil(Math.sqrt(Math.max(1, g.count))));
    const rows = Math.max(1, Math.ceil(g.count / cols));
    return { key: g.key, cols, width: cols, height: rows };
  });
  const area = sized.reduce((a, g) => a + (g.width + GROUP_GAP) * (g.height + GROUP_GAP), 0);
  const rowWidth = Math.max(
    sized.reduce((m, g) => Math.max(m, g.width), 0),
    Math.sqrt(area * aspect),
  );
  const boxes: GroupBox[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const g of sized) {
    if (x > 0 && x + g.width > rowWidth) {
      y += rowHeight + GROUP_GAP;
      x = 0;
      rowHeight = 0;
    }
    boxes.push({ key: g.key, x, y, cols: g.cols, width: g.width, height: g.height });
    x += g.width + GROUP_GAP;
    rowHeight = Math.max(rowHeight, g.height);
    width = Math.max(width, x - GROUP_GAP);
  }
  return { boxes, width, height: y + rowHeight };
}
