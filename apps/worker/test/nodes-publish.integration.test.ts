/**
 * Live `nodes` updates follow the database write that holds them. A browser resyncs by
 * subscribing, reading `nodes.overview` from the database and folding the live updates buffered
 * meanwhile; an update pushed before its write commits is lost by a page that connects in between
 * (the flake of e2e nodes-bum "flood edges carry the measured BUM rate"). Here the node monitor
 * writes to a real database through a store whose writes are held: no update may be emitted until
 * the held write has completed, and once it is, the database already answers what it says.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, type HostAnalysisWrite, bumReportOf, closeDb, dbProvider, hostAnalysisOf, openDb } from '@l2scope/db';
import {
  BUM_REPORT_SCHEMA,
  type BumReport,
  ClusterModel,
  type FullNodeSnapshot,
  type NodesLiveUpdate,
  decodeMessage,
  parseCapture,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { type TestDatabase, waitFor } from '@l2scope/testkit';
import { HostMonitor } from '../src/host-monitor';
import { PrismaStore } from '../src/store';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A gate: `wait()` resolves once `open()` was called; `waiting()` counts the calls to `wait()` so far. */
function gate() {
  let open!: () => void;
  let waiting = 0;
  const opened = new Promise<void>((r) => (open = r));
  return {
    open,
    waiting: () => waiting,
    wait: () => {
      waiting++;
      return opened;
    },
  };
}

/** The real store, with BUM report and analysis writes held at a gate; what happened, in order, in `log`. */
class HeldStore extends PrismaStore {
  readonly log: string[] = [];
  bumGate = gate();
  analysisGate = gate();

  override async saveBumReports(reports: readonly BumReport[], receivedAt: Date): Promise<void> {
    if (reports.length === 0) return super.saveBumReports(reports, receivedAt);
    await this.bumGate.wait();
    await super.saveBumReports(reports, receivedAt);
    this.log.push(`bum committed ${reports.map((r) => r.host).join(',')}`);
  }

  override async saveHostAnalyses(rows: readonly HostAnalysisWrite[], at: Date): Promise<void> {
    if (rows.length === 0) return super.saveHostAnalyses(rows, at);
    await this.analysisGate.wait();
    await super.saveHostAnalyses(rows, at);
    this.log.push(`analyses committed ${rows.map((r) => r.host).join(',')}`);
  }
}

function bumReport(host: string): BumReport {
  const now = Date.now();
  const counters = { broadcast: 3, multicast: 0, unknownUnicast: 0, arp: 3, arpRequest: 3, arpReply: 0, unicast: 0, packets: 3, bytes: 300 };
  return {
    schema: BUM_REPORT_SCHEMA,
    host,
    instance: `test-${host}`,
    vtep: '10.0.20.12',
    iface: 'ul0',
    udpPort: 8472,
    from: new Date(now - 10_000).toISOString(),
    to: new Date(now).toISOString(),
    seconds: 10,
    sampled: 1,
    captureDropped: 0,
    captured: 3,
    undecodable: 0,
    undecodableReasons: {},
    flows: [{ ...counters, vni: 649, remoteVtep: '10.0.20.11', direction: 'tx', outerMulticast: false }],
    other: null,
    unavailable: null,
  };
}

/** lab3's model (the whole capture) and the kernel snapshots of its step 1. */
function lab3Step1(): { model: ClusterModel; snapshots: FullNodeSnapshot[] } {
  const model = new ClusterModel();
  parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records.forEach((r, i) => {
    const d = decodeMessage(r);
    if (d.ok) model.apply(d.message, r.ts.getTime(), i + 1);
  });
  const dir = path.join(root, 'fixtures/lab3/1-ports-active');
  const files = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );
  return { model, snapshots: snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots };
}

let tdb: TestDatabase;
let db: Db;
let store: HeldStore;
let nodes: HostMonitor;
const updates: NodesLiveUpdate[] = [];

beforeAll(async () => {
  tdb = await migratedTestDatabase();
  db = await openDb(tdb.url);
  store = new HeldStore(db, dbProvider(tdb.url));
  const { model } = lab3Step1();
  nodes = new HostMonitor({ model, store, log: () => {}, debounceMs: 10, flushDelayMs: 10 });
  nodes.on('update', (u) => {
    updates.push(u);
    store.log.push(`update ${u.hosts.map((h) => h.host).join(',')}|${u.bum.map((b) => b.host).join(',')}`);
  });
});
afterAll(async () => {
  await nodes?.stop();
  if (db) await closeDb(db);
  await tdb?.drop();
});

describe('node monitor: live updates after their write', () => {
  it('emits a BUM report only once the write holding it has committed', async () => {
    const report = bumReport('compute1');
    await nodes.handle({
      receivedAt: Date.now(),
      exchange: 'l2scope.node',
      routingKey: 'bum.compute1',
      properties: { userId: 'l2scope-agent-compute1' },
      body: Buffer.from(JSON.stringify(report)),
      source: 'amqp',
    });
    await waitFor('the flush to run and its write to wait at the gate', () => store.bumGate.waiting() > 0);
    expect(updates.filter((u) => u.bum.length)).toEqual([]);
    expect(await bumReportOf(db, 'compute1')).toBeNull();

    store.bumGate.open();
    await waitFor('the BUM update', () => updates.some((u) => u.bum.length));
    expect(store.log.filter((l) => l.includes('compute1') && !l.startsWith('analyses'))).toEqual(['bum committed compute1', 'update |compute1']);
    // what the update says is what a page reading the database now gets
    expect(await bumReportOf(db, 'compute1')).toEqual(report);
  });

  it('emits an analysis only once the analyses are stored', async () => {
    for (const s of lab3Step1().snapshots) nodes.acceptSnapshot(s);
    await waitFor('the analysis of the three hosts', () => nodes.latest() && Object.values(nodes.latest()!.hosts).filter((h) => h.snapshot).length === 3);
    await waitFor('the analyses write to wait at the gate', () => store.analysisGate.waiting() > 0);
    expect(updates.filter((u) => u.hosts.length)).toEqual([]);
    expect(await hostAnalysisOf(db, 'compute1')).toBeNull();

    store.analysisGate.open();
    await waitFor('the analysis update', () => updates.some((u) => u.hosts.length));
    const committed = store.log.findIndex((l) => l.startsWith('analyses committed '));
    const emitted = store.log.findIndex((l) => l.startsWith('update ') && !l.startsWith('update |'));
    expect(store.log[committed]!.split(' ')[2]!.split(',').sort()).toEqual(['compute1', 'compute2', 'controller']);
    expect(emitted).toBeGreaterThan(committed);
    expect((await hostAnalysisOf(db, 'compute1'))?.analysis).toEqual(JSON.parse(JSON.stringify(nodes.latest()!.hosts.compute1)));
  });
});
