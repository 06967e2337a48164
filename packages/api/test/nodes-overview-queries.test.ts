/**
 * `nodes.overview` costs the same SQL whatever the number of hosts: on a database filled as the
 * worker fills it (lab3's real capture and step-1 kernel snapshots, analysed), then grown to ~300
 * analysed hosts with BUM reports, convergence samples and counts and findings, the procedure runs the same
 * statements (counted with Prisma's query events, compared by text) as with 3 hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUM_REPORT_SCHEMA, type BumReport, type ConvergenceSample, type FindingView } from '@l2scope/domain';
import {
  type Db,
  addConvergenceSamples,
  closeDb,
  dbProvider,
  hostAnalyses,
  openDb,
  openFinding,
  saveBumReports,
  saveConvergenceCounts,
  saveHostAnalyses,
} from '@l2scope/db';
import { appRouter, createCallerFactory } from '../src';
import { type SeededApi, type Seeder, TEST_VIEWER, seedLab3Step1, seededApi } from './seed';

const EXTRA_HOSTS = 297;

const createCaller = createCallerFactory(appRouter);
let suite: SeededApi;
let seed: Seeder;
/** A second client on the same database whose every SQL statement is recorded. */
let counted: Db;
const statements: string[] = [];

function bum(host: string): BumReport {
  return {
    schema: BUM_REPORT_SCHEMA,
    host,
    instance: 'i-1',
    vtep: null,
    iface: 'ul0',
    udpPort: 8472,
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-01-01T00:00:10.000Z',
    seconds: 10,
    sampled: 1,
    captureDropped: null,
    captured: 0,
    undecodable: 0,
    undecodableReasons: {},
    flows: [],
    other: null,
    unavailable: null,
  };
}

/** A finding to store (openFinding ignores the view's id and times). */
function finding(network: string, vni: number, hosts: string[]): FindingView {
  return { id: 0, kind: 'mixed_l2pop', network, vni, hosts, detail: 'test', evidence: [], firstSeenAt: '', lastSeenAt: '' };
}

function samples(host: string, n: number): ConvergenceSample[] {
  return Array.from({ length: n }, (_, i) => ({
    host,
    network: 'net-1',
    vtep: '10.0.20.11',
    mac: `fa:16:3e:00:00:${(i % 256).toString(16).padStart(2, '0')}`,
    change: 'add',
    messageId: i + 1,
    castAt: 1_780_000_000_000 + i * 1000,
    seenAt: 1_780_000_000_000 + i * 1000 + 40 + i,
    lagMs: 40 + i,
  }));
}

/** Run `nodes.overview` on the counting client; the statements it ran. */
async function overviewStatements(): Promise<{ hosts: number; convergence: number; bum: number; findings: number; sql: string[] }> {
  statements.length = 0;
  const o = await createCaller({ db: counted, user: TEST_VIEWER, originTrusted: false }).nodes.overview();
  // the reads share one transaction (readConsistent): its BEGIN/COMMIT are not data statements
  const sql = statements.filter((q) => !/^(-- Implicit "(BEGIN|COMMIT)"|BEGIN|COMMIT)/.test(q.trim()));
  return { hosts: o.hosts.length, convergence: o.convergence.length, bum: o.bum.length, findings: o.findings.length, sql: sql.sort() };
}

beforeAll(async () => {
  suite = await seededApi(seedLab3Step1);
  seed = suite.seed;
  const provider = dbProvider(suite.db.url);
  for (const h of ['compute1', 'compute2', 'controller']) {
    await saveBumReports(seed.db, [bum(h)], new Date());
    await addConvergenceSamples(seed.db, provider, samples(h, 5), new Date(0));
  }
  await openFinding(seed.db, finding('net-1', 649, ['compute1', 'controller']), new Date());
  counted = await openDb(suite.db.url, { onQuery: (e) => statements.push(e.query) });
});
afterAll(async () => {
  if (counted) await closeDb(counted);
  await suite?.close();
});

describe('nodes.overview at scale', () => {
  it('runs the same statements for 300 hosts as for 3', async () => {
    const small = await overviewStatements();
    expect(small).toMatchObject({ hosts: 3, convergence: 3, bum: 3, findings: 1 });
    // analyses, open findings, resolved findings, BUM reports, lag figures (samples, tracker counts), node message refusals
    expect(small.sql).toHaveLength(7);

    // grow to 300 analysed hosts: the real analyses copied under new names, each with a BUM report,
    // convergence samples and a finding naming it
    const real = await hostAnalyses(seed.db);
    const at = new Date();
    const provider = dbProvider(suite.db.url);
    const names = Array.from({ length: EXTRA_HOSTS }, (_, i) => `hv-${String(i).padStart(3, '0')}.dc1`);
    await saveHostAnalyses(
      seed.db,
      names.map((host, i) => {
        const a = real[i % real.length]!.analysis;
        return { host, driftCount: a.drift.length, json: JSON.stringify(a) };
      }),
      at,
    );
    await saveBumReports(seed.db, names.map(bum), new Date());
    await addConvergenceSamples(
      seed.db,
      provider,
      names.flatMap((h) => samples(h, 3)),
      new Date(0),
    );
    await saveConvergenceCounts(
      seed.db,
      names.map((host) => ({ host, pending: 1, timedOut: 0, alreadyHeld: 2 })),
      at,
    );
    for (const [i, h] of names.slice(0, 20).entries()) {
      await openFinding(seed.db, finding(`net-${i + 2}`, 700 + i, [h]), at);
    }

    const large = await overviewStatements();
    expect(large).toMatchObject({ hosts: 300, convergence: 300, bum: 300, findings: 21 });
    expect(large.sql).toEqual(small.sql);
  });
});
