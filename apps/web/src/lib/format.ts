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

/** Order IPv4 addresses numerically, anything else as text (VTEP lists, matrix columns). */
export function compareIp(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length === 4 && pb.length === 4 && [...pa, ...pb].every((x) => /^\d{1,3}$/.test(x))) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A rate per second: `0`, `0.36/s`, `12/s`, `1.2k/s`. */
export function perSecond(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n === 0) return '0/s';
  if (n < 0.01) return '<0.01/s';
  if (n < 10) return `${n.toFixed(2)}/s`;
  if (n < 1000) return `${Math.round(n)}/s`;
  return `${(n / 1000).toFixed(1)}k/s`;
}

/** A duration in ms: `85 ms`, `1.24 s`, `2 min 5 s`; '—' when null. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How long ago `t` was, relative to `now` (epoch ms): `12 s ago`, `3 min ago`, `2 h ago`. */
export function ago(t: string | number | null | undefined, now: number): string {
  if (t === null || t === undefined) return '—';
  const d = now - new Date(t).getTime();
  if (!Number.isFinite(d)) return '—';
  if (d < 0) return 'just now';
  if (d < 60_000) return `${Math.round(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.round(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  return `${Math.round(d / 86_400_000)} d ago`;
}

/** `?at=T` for a page as of T (docs/operations.md#history), or nothing when live. */
const atQuery = (at?: string | null) => (at ? `?at=${encodeURIComponent(at)}` : '');
/** The path of a host's page; as of T (ISO-8601) when `at` is given. */
export const hostHref = (host: string, at?: string | null) => `/hosts/${encodeURIComponent(host)}${atQuery(at)}`;
/** The path of a network's page; as of T (ISO-8601) when `at` is given. */
export const networkHref = (network: string, at?: string | null) => `/networks/${encodeURIComponent(network)}${atQuery(at)}`;

/** A route parameter as the app wrote it (Next may hand it over still percent-encoded). */
export function routeParam(p: string): string {
  try {
    return /%[0-9a-fA-F]{2}/.test(p) ? decodeURIComponent(p) : p;
  } catch {
    return p;
  }
}
