/**
 * The built-in demo (`npm start` with no source): the real lab captures of `fixtures/` replayed
 * in-process with, beside each capture, the node agents' side of the same lab run: the kernel
 * snapshots taken at each step (`fixtures/<scenario>/<step>/`, timed by `events.tsv`) and BUM
 * reports metered from the lab's underlay pcaps (`fixtures/bum/lab3/`). Node messages enter the
 * worker exactly as a node agent's would (routing key `snapshot.<host>` / `bum.<host>`, the
 * conventional user `l2scope-agent-<host>`, a JSON body) through the host monitor's admission.
 *
 * The scenario (docs/demo.md): `lab3` once (ports created, pinged, an agent restarted, an IP
 * changed, ports deleted; a snapshot of every host at each step), then `faults` in a loop (the same
 * mode on the project's lab: a flood entry deleted by hand on controller, a stale MAC on compute1,
 * a responder neighbour deleted, a MAC on the wrong VTEP, a learned unknown MAC, each undone).
 * `lab3` ends with every port deleted, and `faults` re-announces its own ports on every pass, so
 * what the replayed casts told and what the snapshots hold agree on every pass.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BumReport, type CaptureRecord, BumFdb, NODE_EXCHANGE, meterCapture, nodeRoutingKey, snapshotsFromBundle } from '@l2scope/domain';
import type { Delivery } from './delivery';
import { readCapture } from './replay';

/** `fixtures/` of this checkout. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** One part of the demo: a capture and the node snapshots taken during it. */
export interface DemoSegment {
  /** Fixture scenario name: `<name>.jsonl` and `<name>/events.tsv` + step directories. */
  scenario: string;
  /** Played again after the last segment, forever (the others play once). */
  loop: boolean;
  /** BUM capture directories (`fixtures/bum/<dir>`) whose hosts report at this segment's first snapshot. */
  bum?: string;
}

/** The built-in scenario: lab3 once, then the faults and their repair in a loop. */
export const DEMO_SEGMENTS: readonly DemoSegment[] = [
  { scenario: 'lab3', loop: false },
  { scenario: 'faults', loop: true, bum: 'lab3' },
];

/** A node agent's message body of a host (snapshot without `instance`/`seq`/`takenAt`, or a BUM report). */
type NodeBody = { kind: 'snapshot'; host: string; body: Record<string, unknown> } | { kind: 'bum'; host: string; body: BumReport };

/** One event of a segment at capture time `at` (epoch ms): a cast to feed, or a step's node messages. */
export type DemoEvent = { at: number; kind: 'cast'; record: CaptureRecord } | { at: number; kind: 'node'; step: string; messages: NodeBody[] };

/** The snapshot steps of `fixtures/<scenario>/events.tsv`: `{at: epoch ms, step}` in file order. */
export function snapshotSteps(dir: string): { at: number; step: string }[] {
  const out: { at: number; step: string }[] = [];
  for (const line of readFileSync(path.join(dir, 'events.tsv'), 'utf8').split('\n')) {
    const [epoch, text] = line.split('\t');
    const m = /^snapshot (\S+)$/.exec(text ?? '');
    if (m && epoch) out.push({ at: Math.round(Number(epoch) * 1000), step: m[1]! });
  }
  return out;
}

function bundleFiles(dir: string, only?: (f: string) => boolean): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir))
    if ((!only || only(f)) && !f.endsWith('.pcap') && statSync(path.join(dir, f)).isFile()) files[f] = readFileSync(path.join(dir, f), 'utf8');
  return files;
}

/**
 * The BUM reports of every host with an underlay pcap in `dir` (`<host>-ul0.pcap`), metered as the
 * node agent meters them (domain `meterCapture`, the host's FDB from its bundle files beside the pcap).
 */
export function bumReports(dir: string): BumReport[] {
  const out: BumReport[] = [];
  for (const pcap of readdirSync(dir).filter((f) => f.endsWith('-ul0.pcap'))) {
    const host = pcap.slice(0, -'-ul0.pcap'.length);
    const snap = snapshotsFromBundle(bundleFiles(dir, (f) => f.startsWith(`${host}-`))).snapshots.find((s) => s.host === host);
    if (!snap) continue;
    const vx = snap.linuxbridge?.vxlan[0];
    if (!vx?.local) continue;
    const report = meterCapture(readFileSync(path.join(dir, pcap)), {
      host,
      instance: `demo-${host}`,
      vtep: vx.local,
      iface: 'ul0',
      udpPort: vx.dstport ?? 8472,
      fdb: BumFdb.fromSnapshot(snap),
    });
    if (report) out.push(report);
  }
  return out;
}

/**
 * A segment's events in capture-time order: its casts (`<scenario>.jsonl`) and, at each
 * `snapshot <step>` of `events.tsv`, every host's snapshot of that step (plus the BUM reports at the first).
 * @throws Error when a step's bundle does not parse (the fixtures are checked by the tests)
 */
export async function segmentEvents(seg: DemoSegment, fixtures = FIXTURES_DIR): Promise<DemoEvent[]> {
  const events: DemoEvent[] = [];
  for await (const record of readCapture(path.join(fixtures, `${seg.scenario}.jsonl`))) events.push({ at: record.ts.getTime(), kind: 'cast', record });
  const dir = path.join(fixtures, seg.scenario);
  snapshotSteps(dir).forEach(({ at, step }, i) => {
    const { snapshots, errors } = snapshotsFromBundle(bundleFiles(path.join(dir, step)));
    if (errors.length) throw new Error(`demo: ${seg.scenario}/${step}: ${JSON.stringify(errors).slice(0, 300)}`);
    const messages: NodeBody[] = snapshots.map(({ host, ...rest }) => ({ kind: 'snapshot', host, body: { host, ...rest } }));
    if (i === 0 && seg.bum) for (const r of bumReports(path.join(fixtures, 'bum', seg.bum))) messages.push({ kind: 'bum', host: r.host, body: r });
    events.push({ at, kind: 'node', step, messages });
  });
  // stable: a snapshot taken at the same ms as a cast comes after it
  return events.sort((a, b) => a.at - b.at);
}

/** Options of {@link playDemo}. */
export interface DemoOptions {
  segments?: readonly DemoSegment[];
  fixtures?: string;
  /** Time multiplier of the captures' gaps (0: no waiting). */
  speed?: number;
  /** The longest wait between two events (ms, after `speed`). */
  maxGapMs?: number;
  /** The shortest time a step's node state is shown before the next event (ms, after `speed`): the faults last 0.1 s in the lab. */
  holdMs?: number;
  /** Stop after this many passes of the looping segments (default: forever). */
  passes?: number;
  signal?: AbortSignal;
  /** The pipeline's submit (the casts). */
  submit: (d: Delivery) => Promise<void>;
  /** The host monitor's `handle` (node messages, admitted as a node agent's). */
  node: (d: Delivery) => Promise<void>;
  /** Awaited after each step's node messages were handled (tests judge each step here). */
  onStep?: (scenario: string, step: string) => void | Promise<void>;
  /** Called after each pass of the looping segments. */
  onPass?: (pass: number) => void;
  log?: (line: string) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Play the demo: each segment's events in order, timed by the capture (`speed`, gaps capped at
 * `maxGapMs`, a node step held at least `holdMs`), the once-segments first, then the looping ones
 * until aborted (or `passes`). Snapshots carry `instance` `demo-<host>-<run>` (one per call, as a
 * restarted node agent's), a `seq` rising across
 * passes and `takenAt` now, as a running node agent's would.
 * @returns number of events fed
 */
export async function playDemo(opts: DemoOptions): Promise<number> {
  const segments = opts.segments ?? DEMO_SEGMENTS;
  const speed = opts.speed ?? 1;
  const maxGap = opts.maxGapMs ?? 5_000;
  const hold = opts.holdMs ?? 8_000;
  const loaded = await Promise.all(segments.map(async (s) => ({ seg: s, events: await segmentEvents(s, opts.fixtures) })));
  const seq = new Map<string, number>();
  // a fresh agent instance per run, as a restarted node agent: a restarted worker holds the last
  // run's snapshots (seq N of the old instance) and takes the new ones by their later takenAt
  const run = Date.now().toString(36);
  let n = 0;
  let last: Promise<void> = Promise.resolve();
  const play = async (scenario: string, events: DemoEvent[]) => {
    let prev: DemoEvent | null = null;
    for (const e of events) {
      if (opts.signal?.aborted) return;
      if (prev && speed > 0) {
        const gap = Math.min(maxGap, (e.at - prev.at) / speed);
        await sleep(prev.kind === 'node' ? Math.max(hold / Math.max(speed, 1), gap) : gap, opts.signal);
        if (opts.signal?.aborted) return;
      }
      prev = e;
      n++;
      if (e.kind === 'cast') {
        const r = e.record;
        last = opts.submit({
          receivedAt: Date.now(),
          exchange: r.exchange,
          routingKey: r.routingKey,
          properties: r.properties,
          body: r.body,
          source: 'replay',
        });
        continue;
      }
      // the casts before a snapshot are in the model before the snapshot is judged against it
      await last.catch(() => undefined);
      for (const m of e.messages) {
        const s = (seq.get(m.host) ?? 0) + 1;
        seq.set(m.host, s);
        const body = m.kind === 'bum' ? m.body : { ...m.body, instance: `demo-${m.host}-${run}`, seq: s, takenAt: new Date().toISOString() };
        await opts.node({
          receivedAt: Date.now(),
          exchange: NODE_EXCHANGE.name,
          routingKey: nodeRoutingKey(m.kind, m.host),
          properties: { contentType: 'application/json', userId: `l2scope-agent-${m.host}` },
          body: Buffer.from(JSON.stringify(body)),
          source: 'replay',
        });
      }
      await opts.onStep?.(scenario, e.step);
    }
  };
  for (const { seg, events } of loaded.filter((l) => !l.seg.loop)) await play(seg.scenario, events);
  const looping = loaded.filter((l) => l.seg.loop);
  for (let pass = 1; looping.length && !opts.signal?.aborted && (opts.passes === undefined || pass <= opts.passes); pass++) {
    for (const { seg, events } of looping) await play(seg.scenario, events);
    await last.catch(() => undefined);
    opts.onPass?.(pass);
    if (speed > 0) await sleep(hold, opts.signal);
  }
  await last.catch(() => undefined);
  return n;
}
