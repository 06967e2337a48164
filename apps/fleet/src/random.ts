/**
 * Seeded randomness for the fleet: mulberry32 (the PRNG the domain's property tests use), and the
 * ids oslo and Neutron make with `uuid.uuid4()`, drawn from it so the same seed gives the same bytes.
 */

/** A seeded source of uniform floats in [0, 1) and of ids. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32: a uniform float in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n)
      s += Math.floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  }
  /** A version-4 UUID, `xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx`. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  /** `uuid.uuid4().hex`: 32 hex digits (version nibble 4). */
  uuidHex(): string {
    return this.uuid().replaceAll('-', '');
  }
}

/** Python's `datetime.isoformat()` of a UTC time (`T`, microseconds, no zone): report_state's `time`. */
export function pyIsoTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000');
}

/** Python's `str(datetime)` of a UTC time (space, microseconds): a context's `timestamp`. */
export function pyTimestamp(ms: number): string {
  return pyIsoTime(ms).replace('T', ' ');
}
