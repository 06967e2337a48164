/**
 * `GET /metrics` scraped from a real worker (real database) that replayed the real `faults`
 * capture up to step 7 (a MAC pointed at the wrong VTEP on compute2) with that step's support
 * bundle loaded, plus one hostile body: the Prometheus text carries the message counts per method
 * and outcome, the drift rows per class and the open findings of the worker's analysis, the hosts
 * per liveness and the convergence histogram; the scrape needs the metrics token (which opens
 * nothing else) or the worker token.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const step7 = Number.parseFloat(
  readFileSync(path.join(root, 'fixtures/faults/events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith('snapshot 7-fault-wrong-vtep'))!
    .split('\t')[0]!,
);

let db: TestDatabase;
let worker: WorkerHandle;
const token = createWorkerToken();
const metricsToken = createWorkerToken();

beforeAll(async () => {
  db = await migratedTestDatabase();
  worker = await startWorker({
    replayFile: path.join(root, 'fixtures/faults.jsonl'),
    speed: 0,
    until: step7 * 1000,
    snapshotsDir: path.join(root, 'fixtures/faults/7-fault-wrong-vtep'),
    databaseUrl: db.url,
    port: 0,
    token,
    metricsToken,
    log: () => {},
  });
  await worker.replayDone;
  // one hostile body: stored raw as undecodable, counted as such
  await worker.pipeline.submit({
    receivedAt: Date.now(),
    exchange: 'neutron',
    routingKey: 'q-agent-notifier-l2population-update',
    properties: {},
    body: Buffer.from('{not json'),
    source: 'replay',
  });
  worker.nodes.run();
  await worker.nodes.flush();
  await waitFor('an analysis of three hosts', async () => Object.keys(worker.nodes.latest()?.hosts ?? {}).length === 3, 20_000);
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

const scrape = (headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${worker.port}/metrics`, { headers });

/** Parse Prometheus text: `name{labels}` -> value (comments skipped). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of the series of a family (`name` or `name{...}`). */
const sum = (m: Map<string, number>, name: string) => [...m].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((a, [, v]) => a + v, 0);

describe('GET /metrics', () => {
  it('refuses a scrape without a token, with a wrong one, and from a foreign browser Origin', async () => {
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await scrape(workerAuthHeaders('not-the-token'))).status).toBe(401);
    expect((await scrape({ ...workerAuthHeaders(metricsToken), origin: 'http://evil.test' })).status).toBe(403);
  });

  it('accepts the metrics token and the worker token; the metrics token opens nothing else', async () => {
    const res = await scrape(workerAuthHeaders(metricsToken));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect((await scrape(workerAuthHeaders(token))).status).toBe(200);
    const api = await fetch(`http://127.0.0.1:${worker.port}/api/model`, { headers: workerAuthHeaders(metricsToken) });
    expect(api.status).toBe(401);
  });

  it('counts the messages per method and outcome, and the persisted tap counters', async () => {
    const stats = worker.stats();
    const m = parse(await (await scrape(workerAuthHeaders(metricsToken))).text());
    expect(stats.received).toBeGreaterThan(10);
    expect(m.get('l2scope_tap_received_total')).toBe(stats.received);
    expect(m.get('l2scope_tap_undecodable_total')).toBe(stats.undecodable);
    expect(m.get('l2scope_tap_dropped_total')).toBe(0);
    expect(sum(m, 'l2scope_messages_total')).toBe(stats.received);
    expect(m.get('l2scope_messages_total{method="none",outcome="undecodable"}')).toBe(1);
    expect(m.get('l2scope_messages_total{method="report_state",outcome="decoded"}')).toBeGreaterThan(0);
    expect(m.get('l2scope_messages_total{method="add_fdb_entries",outcome="decoded"}')).toBeGreaterThan(0);
    expect(m.get('l2scope_tap_connected')).toBe(1);
    expect(m.get('l2scope_tap_gap_open')).toBe(0);
    expect(m.get('l2scope_message_seq')).toBe(stats.seq);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('exposes the analysis: drift rows per class, open findings per kind, hosts per liveness, lag histogram', async () => {
    const m = parse(await (await scrape(workerAuthHeaders(metricsToken))).text());
    const analysis = worker.nodes.latest()!;
    const drift = Object.values(analysis.hosts).flatMap((h) => h.drift);
    // step 7: compute2 holds a MAC at the wrong VTEP
    expect(drift.filter((d) => d.class === 'wrong_vtep').length).toBeGreaterThan(0);
    expect(m.get('l2scope_drift_rows{class="wrong_vtep"}')).toBe(drift.filter((d) => d.class === 'wrong_vtep').length);
    expect(sum(m, 'l2scope_drift_rows')).toBe(drift.length);
    const findings = worker.nodes.findings();
    expect(sum(m, 'l2scope_findings_open')).toBe(findings.length);
    for (const f of findings) expect(m.get(`l2scope_findings_open{kind="${f.kind}"}`)).toBeGreaterThan(0);
    expect(sum(m, 'l2scope_hosts')).toBe(3);
    expect(m.get('l2scope_node_agents')).toBe(3);
    expect(m.has('l2scope_convergence_lag_seconds_count')).toBe(true);
    expect(m.has('l2scope_convergence_lag_seconds_bucket{le="+Inf"}')).toBe(true);
  });
});
