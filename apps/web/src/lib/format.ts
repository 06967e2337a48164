/** Display formatting shared by the components (UTC clock times, sizes, counts). */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `HH:MM:SS.mmm` (UTC) of an ISO time or epoch ms; '—' when missing or invalid. */
export function clockTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** `YYYY-MM-DD HH:MM:SS UTC` of an ISO time or epoch ms. */
export function dateTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** Byte size: `812 B`, `4.2 KiB`, `1.3 MiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Grouped integer (`12,345`). */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** `1 MAC` / `3 MACs`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Short network label: `VNI 649` (or the id's first 8 characters when the VNI is unknown). */
export function networkLabel(n: { id: string; vni: number | null }): string {
  return n.vni !== null ? `VNI ${n.vni}` : `net ${n.id.slice(0, 8)}`;
}
