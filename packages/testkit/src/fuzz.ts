/**
 * A seeded, reproducible generator of hostile AMQP bodies around real captures
 * (docs/wire-format.md#poison-input): the real messages unchanged, mutations of them (bit flips,
 * truncation, wrong types, invalid UTF-8), deep nesting, huge arrays, oversize bodies, random
 * bytes, and generated valid l2pop casts and report_states. The same seed and sources give the
 * same sequence, so any message of a run can be named (`n`, `kind`) and made again.
 *
 * Pure: no I/O, no clock; the caller publishes what it yields.
 */

/** A message to publish: where and what (the shape of a capture record, without time). */
export interface FuzzSource {
  exchange: string;
  routingKey: string;
  body: Uint8Array;
}

/** What the fuzzer made a message as. */
export const FUZZ_KINDS = ['capture', 'valid_cast', 'bit_flip', 'truncate', 'wrong_type', 'deep', 'huge_array', 'invalid_utf8', 'oversize', 'garbage'] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** One generated message: its position `n` in the run (0-based), its kind, and for `capture` the source index. */
export interface FuzzMessage extends FuzzSource {
  n: number;
  kind: FuzzKind;
  /** Index in `captures` of the real message it is (`capture`) or was mutated from; null for generated ones. */
  source: number | null;
}

export interface FuzzOptions {
  seed: number;
  /** Real messages (e.g. the fixtures' records the tap binds), sent unchanged and mutated. */
  captures: readonly FuzzSource[];
  /** The decoder's byte limit: `oversize` bodies are just above it, huge arrays stay below it. */
  maxBytes: number;
  /** The decoder's depth cap: `deep` bodies go from just above it to ~20,000 levels. */
  maxDepth: number;
  /** Share of the run that is real captures, unchanged and in their order (default 0.2). */
  captureShare?: number;
}

/** Relative weights of the kinds other than `capture`. */
const WEIGHTS: readonly [FuzzKind, number][] = [
  ['valid_cast', 20],
  ['bit_flip', 15],
  ['truncate', 10],
  ['wrong_type', 20],
  ['deep', 6],
  ['huge_array', 1],
  ['invalid_utf8', 10],
  ['oversize', 1],
  ['garbage', 10],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);

const L2POP_FANOUT = 'q-agent-notifier-l2population-update_fanout';
const FLOOD: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
const WEIRD: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  '',
  'zz:zz:zz',
  '999.1.1.1',
  '\u0000',
  '\ud800',
  [],
  {},
  ['a'],
  [FLOOD, FLOOD],
  true,
  'x'.repeat(300),
];

/** mulberry32, the PRNG of the domain's property tests: uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utf8 = new TextEncoder();
const envelope = (inner: string) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': inner });

/**
 * The generator. `next()` returns message `n` (0, 1, 2, ...): every `1 / captureShare`-th a real
 * capture (cycling through them in order), the rest drawn by weight from the other kinds.
 */
export class Fuzzer {
  private readonly rnd: () => number;
  private readonly parsed: ({ outer: Record<string, unknown>; inner: Record<string, unknown> | null } | null)[];
  private n = 0;
  private nextCapture = 0;
  private readonly every: number;

  constructor(private readonly opts: FuzzOptions) {
    if (opts.captures.length === 0) throw new Error('Fuzzer: no captures to start from');
    this.rnd = mulberry32(opts.seed);
    this.every = Math.max(1, Math.round(1 / (opts.captureShare ?? 0.2)));
    this.parsed = opts.captures.map((c) => {
      try {
        const outer = JSON.parse(new TextDecoder().decode(c.body)) as Record<string, unknown>;
        const inner = typeof outer['oslo.message'] === 'string' ? (JSON.parse(outer['oslo.message']) as Record<string, unknown>) : null;
        return { outer, inner };
      } catch {
        return null;
      }
    });
  }

  /** The next message of the run. */
  next(): FuzzMessage {
    const n = this.n++;
    if (n % this.every === 0) {
      const i = this.nextCapture;
      this.nextCapture = (i + 1) % this.opts.captures.length;
      const c = this.opts.captures[i]!;
      return { n, kind: 'capture', source: i, exchange: c.exchange, routingKey: c.routingKey, body: c.body };
    }
    let pick = this.rnd() * TOTAL_WEIGHT;
    let kind: FuzzKind = 'garbage';
    for (const [k, w] of WEIGHTS) {
      if (pick < w) {
        kind = k;
        break;
      }
      pick -= w;
    }
    const source = this.int(this.opts.captures.length);
    const src = this.opts.captures[source]!;
    const at = (body: Uint8Array | string, route: { exchange: string; routingKey: string } = src): FuzzMessage => ({
      n,
      kind,
      source: kind === 'valid_cast' ? null : source,
      exchange: route.exchange,
      routingKey: route.routingKey,
      body: typeof body === 'string' ? utf8.encode(body) : body,
    });
    switch (kind) {
      case 'valid_cast':
        return this.validCast(n);
      case 'bit_flip': {
        const b = src.body.slice();
        for (let k = 1 + this.int(8); k > 0 && b.length > 0; k--) b[this.int(b.length)]! ^= 1 << this.int(8);
        return at(b);
      }
      case 'truncate':
        return at(src.body.slice(0, this.int(src.body.length)));
      case 'wrong_type':
        return at(this.wrongType(source));
      case 'deep':
        return at(this.deep(), this.rnd() < 0.5 ? src : { exchange: 'neutron', routingKey: 'q-reports-plugin' });
      case 'huge_array':
        return at(this.hugeArray(), { exchange: L2POP_FANOUT, routingKey: '' });
      case 'invalid_utf8': {
        const b = src.body.slice();
        const bad = [[0xff], [0xc3, 0x28], [0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]];
        for (let k = 1 + this.int(3); k > 0 && b.length > 4; k--) {
          const seq = bad[this.int(bad.length)]!;
          const p = this.int(b.length - seq.length);
          b.set(seq, p);
        }
        return at(b);
      }
      case 'oversize': {
        const b = new Uint8Array(this.opts.maxBytes + 1 + this.int(64 * 1024)).fill(0x20);
        b.set(utf8.encode('{"oslo.version": "2.0", "oslo.message": "'), 0);
        return at(b);
      }
      case 'garbage':
      default: {
        const b = new Uint8Array(this.int(512));
        for (let i = 0; i < b.length; i++) b[i] = this.int(256);
        return at(b);
      }
    }
  }

  private int(below: number): number {
    return Math.floor(this.rnd() * below);
  }

  private pickOf<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  private mac(): string {
    const h = () => this.int(256).toString(16).padStart(2, '0');
    return `fa:16:3e:${h()}:${h()}:${h()}`;
  }

  private vtep(): string {
    return `10.${this.int(4)}.${this.int(256)}.${1 + this.int(254)}`;
  }

  /** A valid add/remove/update_fdb_entries cast (fanout or host-directed) or a report_state. */
  private validCast(n: number): FuzzMessage {
    const net = `fuzz-net-${this.int(8)}`;
    const host = `fuzz-host-${this.int(16)}`;
    const r = this.rnd();
    let method: string;
    let args: unknown;
    let route = { exchange: L2POP_FANOUT, routingKey: '' };
    if (r < 0.2) {
      method = 'report_state';
      args = {
        agent_state: {
          agent_state: {
            binary: 'neutron-linuxbridge-agent',
            host,
            agent_type: 'Linux bridge agent',
            start_flag: this.rnd() < 0.1,
            configurations: { tunneling_ip: this.vtep(), l2_population: this.rnd() < 0.8, tunnel_types: ['vxlan'], devices: this.int(50) },
          },
        },
        time: '2026-01-01T00:00:00.000000',
      };
      route = { exchange: 'neutron', routingKey: 'q-reports-plugin' };
    } else if (r < 0.3) {
      method = 'update_fdb_entries';
      const ip = `192.168.${this.int(256)}.${this.int(256)}`;
      args = { fdb_entries: { chg_ip: { [net]: { [this.vtep()]: { before: [[this.mac(), ip]], after: [[this.mac(), ip]] } } } } };
    } else {
      method = r < 0.75 ? 'add_fdb_entries' : 'remove_fdb_entries';
      const ports: Record<string, [string, string][]> = {};
      for (let v = 1 + this.int(4); v > 0; v--) {
        const pairs: [string, string][] = [FLOOD];
        for (let p = this.int(4); p > 0; p--) pairs.push([this.mac(), `192.168.${this.int(256)}.${this.int(256)}`]);
        ports[this.vtep()] = pairs;
      }
      args = { fdb_entries: { [net]: { segment_id: 1000 + this.int(8), network_type: 'vxlan', ports } } };
      if (this.rnd() < 0.2) route = { exchange: 'neutron', routingKey: `q-agent-notifier-l2population-update.${host}` };
    }
    const body = envelope(JSON.stringify({ method, args, version: '1.0', _unique_id: `fuzz${n}` }));
    return { n, kind: 'valid_cast', source: null, exchange: route.exchange, routingKey: route.routingKey, body: utf8.encode(body) };
  }

  /** A real message with one random value inside its args (or envelope) replaced by a value of another type. */
  private wrongType(source: number): string {
    const p = this.parsed[source];
    if (!p) return '{"oslo.version": 2}';
    const inner = p.inner ? (structuredClone(p.inner) as Record<string, unknown>) : null;
    const target: Record<string, unknown> = inner ?? (structuredClone(p.outer) as Record<string, unknown>);
    // walk down a random path, then replace what is there
    let node: unknown = target;
    let parent: Record<string, unknown> | unknown[] = target;
    let key: string | number = 'method';
    for (let d = 0; d < 12 && node !== null && typeof node === 'object'; d++) {
      const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0 || (d > 0 && this.rnd() < 0.25)) break;
      parent = node as Record<string, unknown> | unknown[];
      key = this.pickOf(keys);
      node = (node as Record<string | number, unknown>)[key];
    }
    (parent as Record<string | number, unknown>)[key] = this.pickOf(WEIRD);
    return inner ? JSON.stringify({ ...p.outer, 'oslo.message': JSON.stringify(inner) }) : JSON.stringify(target);
  }

  /** Nesting from just over the cap to ~20,000 levels: in args (an RPC or an l2pop cast) or in the envelope. */
  private deep(): string {
    const depth = this.opts.maxDepth + 1 + this.int(this.rnd() < 0.5 ? 64 : 20_000);
    const nest = '['.repeat(depth) + '1' + ']'.repeat(depth);
    const where = this.int(3);
    if (where === 0) return `{"oslo.version":"2.0","x":${nest},"oslo.message":"{}"}`;
    if (where === 1) return envelope(`{"method":"port_update","args":{"port":${nest}}}`);
    return envelope(`{"method":"add_fdb_entries","args":{"fdb_entries":{"n":{"segment_id":1,"network_type":"vxlan","ports":{"10.0.0.1":${nest}}}}}}`);
  }

  /** One VTEP with thousands of `[mac, ip]` pairs, invalid or valid, below the byte limit. */
  private hugeArray(): string {
    const invalid = this.rnd() < 0.5;
    const pair = invalid ? '["zz","nope"]' : '["fa:16:3e:00:00:01","192.168.0.1"]';
    // each pair is escaped once more inside the envelope's string, plus its comma
    const most = Math.max(1, Math.floor((this.opts.maxBytes - 300) / (JSON.stringify(pair).length - 1)));
    // mostly thousands, now and then up to the byte limit (each costs the decoder ~10 ms per 1,000 pairs)
    const count = 1 + Math.floor(most * this.rnd() ** 3);
    const pairs = `[${Array.from({ length: count }, () => pair).join(',')}]`;
    return envelope(`{"method":"add_fdb_entries","args":{"fdb_entries":{"fuzz-huge":{"segment_id":1,"network_type":"vxlan","ports":{"10.9.0.1":${pairs}}}}}}`);
  }
}
