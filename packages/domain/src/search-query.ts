/**
 * The header search's query, read as what an operator types: a host name or VTEP IP, a MAC (any
 * case, `:`/`-`/`.` separated or bare hex, whole or a prefix), a port IP, a port or network UUID
 * (or a prefix of one), a VNI, or a Neutron name. Pure: the database search
 * (packages/db `searchEntities`) matches each reading against its own columns.
 */

/** The readings of one query. Every string is lower case, trimmed, and only made of safe characters for a LIKE pattern where noted. */
export interface SearchQuery {
  /** The query as typed, trimmed and lower-cased, at most {@link SEARCH_MAX_CHARS} characters. */
  text: string;
  /** A MAC or a MAC prefix in `aa:bb:cc` form (hex and `:` only), when the query reads as one (at least 2 hex digits, an even count when bare). */
  mac: string | null;
  /** An IPv4 address (whole, dotted quad), or an IPv4 prefix (`10.0.20.`), when the query reads as one. */
  ip: string | null;
  /** A VXLAN VNI (1 to 16,777,215) when the query is a decimal number in range. */
  vni: number | null;
}

/** Longest query kept (characters). */
export const SEARCH_MAX_CHARS = 100;

/**
 * Read a search query.
 * @param raw what the operator typed (any string; cut at {@link SEARCH_MAX_CHARS})
 * @returns its readings; `text` '' for a blank query
 */
export function parseSearchQuery(raw: string): SearchQuery {
  const text = raw.trim().toLowerCase().slice(0, SEARCH_MAX_CHARS);
  return { text, mac: macOf(text), ip: ipOf(text), vni: vniOf(text) };
}

function macOf(t: string): string | null {
  let hex: string;
  if (/^[0-9a-f]{1,2}([:.-][0-9a-f]{1,2}){1,5}[:.-]?$/.test(t)) {
    const parts = t.split(/[:.-]/).filter(Boolean);
    // a trailing 1-digit group is a prefix of a group; others are padded
    hex = parts.map((p, i) => (p.length === 1 && i < parts.length - 1 ? `0${p}` : p)).join('');
  } else if (/^[0-9a-f]{4}\.[0-9a-f]{4}(\.[0-9a-f]{0,4})?$/.test(t)) hex = t.replace(/\./g, '');
  // bare hex: an even count of digits, with a letter or all 12 (a bare number is read as a VNI)
  else if (/^[0-9a-f]{2,12}$/.test(t) && t.length % 2 === 0 && (/[a-f]/.test(t) || t.length === 12)) hex = t;
  else return null;
  if (hex.length > 12 || hex.length < 2) return null;
  return (hex.match(/.{1,2}/g) ?? []).join(':');
}

function ipOf(t: string): string | null {
  const m = /^(\d{1,3})(\.(\d{1,3})){0,3}\.?$/.exec(t);
  if (!m || !t.includes('.')) return null;
  const parts = t.split('.').filter(Boolean);
  if (parts.some((p) => Number(p) > 255)) return null;
  return t;
}

function vniOf(t: string): number | null {
  if (!/^\d{1,8}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 16_777_215 ? n : null;
}
