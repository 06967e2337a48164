/** Small internal helpers of the node modules (not exported from the package). */

/** Code-unit order: deterministic whatever the ICU / locale of the process, and fast. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const natural = new Intl.Collator('en', { numeric: true });
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const keyCache = new Map<string, number | null>();
/** IPv4 address as a number, memoised (VTEP addresses repeat across every host and network). */
const ipv4Key = (s: string): number | null => {
  let k = keyCache.get(s);
  if (k === undefined) {
    const m = IPV4.exec(s);
    k = m ? ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]) : null;
    if (keyCache.size > 100_000) keyCache.clear();
    keyCache.set(s, k);
  }
  return k;
};
/**
 * Digit runs compared as numbers (`10.0.20.9` before `10.0.20.11`, then multicast groups after
 * unicast VTEPs as their numbers say); IPv4 pairs without the collator (hot path: VTEP lists).
 */
export const compareNatural = (a: string, b: string): number => {
  const x = ipv4Key(a);
  const y = ipv4Key(b);
  if (x !== null && y !== null) return x - y;
  return natural.compare(a, b) || compareText(a, b);
};

/** Sort with {@link compareNatural}, computing each IPv4 key once (VTEP lists are sorted per host and network). */
export function sortNatural(xs: string[]): string[] {
  const keys = xs.map(ipv4Key);
  if (keys.every((k) => k !== null)) {
    const idx = xs.map((_, i) => i).sort((i, j) => keys[i]! - keys[j]!);
    return idx.map((i) => xs[i]!);
  }
  return xs.sort(compareNatural);
}

/** Unique and sorted with {@link compareNatural} (IPv4 addresses numerically). */
export const sortStr = (xs: Iterable<string>): string[] => sortNatural([...new Set(xs)]);

const multicastCache = new Map<string, boolean>();
/** {@link isMulticastIp}, memoised per address (called once per FDB row). */
export function isMulticastCached(ip: string, isMulticast: (ip: string) => boolean): boolean {
  let m = multicastCache.get(ip);
  if (m === undefined) {
    m = isMulticast(ip);
    if (multicastCache.size > 100_000) multicastCache.clear();
    multicastCache.set(ip, m);
  }
  return m;
}
