/**
 * The tRPC API on a real database filled as the worker fills it (lab2's real capture plus a few
 * malformed messages, decoded and folded by the domain, stored through packages/db's
 * repositories): filters, paging, detail, facets, host suggestions, counts, export.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireHosts, preparedModelOf, pruneRetention, readModelSnapshot, saveNeutronApi } from '@l2scope/db';
import { type ModelSnapshot, type NeutronApiStatus, decodeMessage, enrich, parseCapture, parseNetworksPage, parsePortsPage } from '@l2scope/domain';
import { exportCaptureLines } from '../src';
import { type Caller, type SeededApi, type Seeder, fixtureRecords, repoRoot as root, seededApi } from './seed';

const records = fixtureRecords('lab2.jsonl');
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';

let suite: SeededApi;
let seed: Seeder;
let api: Caller;

beforeAll(async () => {
  suite = await seededApi(async (s) => {
    await s.ingest(records);
    // two undecodable messages after the capture
    for (const body of ['{"oslo.version": "2.0", "oslo.message": "{bad', '\u0000\u0001 not json']) {
      await s.ingest([
        {
          receivedAt: Date.now(),
          exchange: 'q-agent-notifier-l2population-update_fanout',
          routingKey: '',
          properties: {},
          body: new TextEncoder().encode(body),
        },
      ]);
    }
  });
  ({ seed, api } = suite);
});
afterAll(async () => {
  await suite?.close();
});

describe('messages.list', () => {
  it('pages newest first through every message', async () => {
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await api.messages.list({ limit: 25, before });
      seen.push(...page.items.map((m) => m.id));
      if (!page.nextCursor) break;
      before = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: records.length + 2 }, (_, i) => records.length + 2 - i));
  });

  it('filters by method, network, VNI, host, free text, and undecodable', async () => {
    const adds = await api.messages.list({ method: 'add_fdb_entries' });
    expect(adds.items).toHaveLength(18);
    expect(adds.items.every((m) => m.method === 'add_fdb_entries' && m.vnis[0] === 649 && m.networks[0] === NET)).toBe(true);

    const byNet = await api.messages.list({ network: NET });
    expect(byNet.items.map((m) => m.method).sort()).toEqual(
      [...Array(18).fill('add_fdb_entries'), ...Array(3).fill('remove_fdb_entries'), 'update_fdb_entries'].sort(),
    );
    // chg_ip carries no segment_id: its VNI comes from the model
    expect((await api.messages.list({ vni: 649 })).items).toHaveLength(22);

    const toCompute2 = await api.messages.list({ host: 'compute2' });
    expect(toCompute2.items.some((m) => m.target === 'compute2')).toBe(true);
    expect(toCompute2.items.some((m) => m.method === 'report_state')).toBe(true);

    const byMac = await api.messages.list({ text: 'FA:16:3E:98:B9:F6' });
    expect(byMac.items.length).toBeGreaterThan(0);
    const methods = new Set(byMac.items.map((m) => m.method));
    // every l2pop cast naming the port, and Neutron's other RPC that carries it (port_update, push...)
    expect(methods).toContain('update_fdb_entries');
    expect(methods).toContain('remove_fdb_entries');
    expect(methods).not.toContain('report_state');
    const l2popWithMac = records.filter((r) => {
      const d = decodeMessage(r);
      return d.ok && d.message.kind === 'fdb' && d.message.entries.some((e) => e.mac === 'fa:16:3e:98:b9:f6');
    }).length;
    expect(byMac.items.filter((m) => m.kind === 'fdb')).toHaveLength(l2popWithMac);

    const bad = await api.messages.list({ method: 'undecodable' });
    expect(bad.items.map((m) => m.error?.split(':')[0])).toEqual(['invalid_json', 'invalid_json']);
  });

  // the same rows on SQLite (FTS5 trigram table from 3 characters, instr below) and PostgreSQL (LIKE):
  // FTS5 query syntax, LIKE wildcards, quotes and backslashes are literal text, case does not matter
  it.each([
    ['FA:16:3E:98:B9:F6', true],
    ['"status":"down"', true],
    ['\\"l2\\"', true],
    [' vm-Compute2 ', true],
    ['"', true],
    [':', true],
    ['2C', true],
    ['%', false],
    ['_fanout add', true],
    ['no such text', false],
  ] as const)('free text %j: lists and counts the messages whose search text holds it', async (text, some) => {
    const stored = await seed.db.message.findMany({ select: { id: true, search: true }, orderBy: { id: 'desc' } });
    const want = stored.filter((m) => m.search.includes(text.trim().toLowerCase())).map((m) => Number(m.id));
    expect(want.length > 0).toBe(some);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await api.messages.list({ text, limit: 10, before });
      seen.push(...page.items.map((m) => m.id));
      if (!page.nextCursor) break;
      before = page.nextCursor;
    }
    expect(seen).toEqual(want);
    expect(await api.messages.count({ text })).toMatchObject({ matching: want.length, capped: false });
  });

  it('catches up after an id (live bursts) oldest first', async () => {
    const page = await api.messages.list({ after: records.length - 3, limit: 10 });
    expect(page.items.map((m) => m.id)).toEqual([records.length + 2, records.length + 1, records.length, records.length - 1, records.length - 2]);
  });
});

describe('messages.get', () => {
  it('returns the decoded tree and the raw body', async () => {
    const first = (await api.messages.list({ method: 'update_fdb_entries' })).items[0]!;
    const m = await api.messages.get({ id: first.id });
    expect(m.summary.method).toBe('update_fdb_entries');
    expect(m.decoded).toMatchObject({ kind: 'update_fdb', chgIp: [{ network: NET, vtep: '10.0.20.12' }] });
    expect(m.raw.text).toContain('chg_ip');
    expect(m.properties).toMatchObject({ contentType: 'application/json' });
  });

  it('returns base64 for a body that is not UTF-8', async () => {
    const id = await seed.ingest([{ receivedAt: Date.now(), exchange: 'x_fanout', routingKey: '', properties: {}, body: new Uint8Array([0xff, 0xfe]) }]);
    const m = await api.messages.get({ id });
    expect(m.raw).toMatchObject({ text: null, base64: '//4=', bytes: 2 });
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    await expect(api.messages.get({ id: 999_999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('facets, topology, stats', () => {
  it('lists methods with counts and networks with VNI', async () => {
    const f = await api.messages.facets();
    expect(f.methods.find((m) => m.method === 'report_state')?.count).toBe(6);
    expect(f.networks).toEqual([{ id: NET, vni: 649, deletedAt: null }]);
    expect(f.undecodable).toBeGreaterThanOrEqual(2);
  });

  it('messages.hosts suggests hosts by id or VTEP prefix, bounded', async () => {
    const ids = async (prefix: string, limit?: number) => (await api.messages.hosts({ prefix, limit })).map((h) => `${h.id}=${h.vtep}`);
    expect(await ids('comp')).toEqual(['compute1=10.0.20.12', 'compute2=10.0.20.13']);
    expect(await ids('10.0.20.11')).toEqual(['controller=10.0.20.11']);
    expect(await ids('')).toEqual(['compute1=10.0.20.12', 'compute2=10.0.20.13', 'controller=10.0.20.11']);
    expect(await ids('', 1)).toEqual(['compute1=10.0.20.12']);
    expect(await ids('nova')).toEqual([]);
    await expect(api.messages.hosts({ prefix: '', limit: 21 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('messages.count says how many match out of how many are stored, capped', async () => {
    // every stored message on one page (the detail tests add one)
    const stored = (await api.messages.list({ limit: 1000 })).items.length;
    expect(stored).toBeGreaterThanOrEqual(records.length + 2);
    expect(await api.messages.count({})).toEqual({ matching: stored, capped: false, stored, estimated: false });
    expect(await api.messages.count({ method: 'add_fdb_entries' })).toEqual({ matching: 18, capped: false, stored, estimated: false });
    expect(await api.messages.count({ vni: 649 })).toEqual({ matching: 22, capped: false, stored, estimated: false });
    const undecodable = (await api.messages.list({ method: 'undecodable' })).items.length;
    expect(undecodable).toBeGreaterThanOrEqual(2);
    expect(await api.messages.count({ method: 'undecodable' })).toEqual({ matching: undecodable, capped: false, stored, estimated: false });
    expect(await api.messages.count({ kind: 'report_state', host: 'compute2' })).toEqual({
      matching: (await api.messages.list({ kind: 'report_state', host: 'compute2' })).items.length,
      capped: false,
      stored,
      estimated: false,
    });
  });

  it('topology.snapshot is the persisted model', async () => {
    const snap = await api.topology.snapshot();
    expect(snap.seq).toBe(seed.seq);
    expect(snap.hosts.map((h) => h.id).sort()).toEqual(
      seed.model
        .snapshot()
        .hosts.map((h) => h.id)
        .sort(),
    );
  });

  it('stats.get reports the counters', async () => {
    const s = await api.stats.get();
    expect(s.received).toBe(records.length + 3);
    expect(s.undecodable).toBe(3);
  });

  it('neutron.names is null before the worker polled an API, then the stored names and status', async () => {
    expect(await api.neutron.names()).toBeNull();
    const api0 = {
      fetchedAt: Date.parse('2026-12-05T21:35:00Z'),
      ports: parsePortsPage(JSON.parse(readFileSync(path.join(root, 'fixtures/neutron-api/ports.json'), 'utf8'))).items,
      networks: parseNetworksPage(JSON.parse(readFileSync(path.join(root, 'fixtures/neutron-api/networks.json'), 'utf8'))).items,
      agents: [],
      projects: {},
      skipped: 0,
    };
    const names = enrich(await api.topology.snapshot(), api0);
    const status: NeutronApiStatus = {
      endpoint: 'http://127.0.0.1:9696',
      auth: 'noauth',
      intervalMs: 60_000,
      lastSuccessAt: '2026-12-05T21:35:00.000Z',
      lastErrorAt: null,
      lastError: null,
      consecutiveFailures: 0,
      nextPollAt: null,
      counts: { ports: 4, networks: 1, agents: 0, projects: 0, skipped: 0 },
    };
    await saveNeutronApi(seed.db, status, names);
    const got = await api.neutron.names();
    expect(got?.status).toEqual(status);
    expect(got?.names?.ports.find((p) => p.mac === 'fa:16:3e:0b:8a:d5')).toMatchObject({
      portId: '3755e6a1-cac5-42b5-a2a6-ed7862f715ca',
      networkName: 'l2lab-selfservice',
    });
    // a failed poll keeps the names
    await saveNeutronApi(seed.db, { ...status, consecutiveFailures: 1, lastError: 'http://127.0.0.1:9696/v2.0/ports: HTTP 503' });
    expect((await api.neutron.names())?.names?.ports).toHaveLength(4);
  });
});

describe('exportCaptureLines', () => {
  it('writes the filtered set as a capture that decodes back to the same messages', async () => {
    const lines: string[] = [];
    for await (const line of exportCaptureLines(seed.db, { method: 'add_fdb_entries' })) lines.push(line);
    expect(lines).toHaveLength(18);
    const back = parseCapture(lines.join('')).records;
    const originals = records.filter((r) => {
      const d = decodeMessage(r);
      return d.ok && d.message.method === 'add_fdb_entries';
    });
    expect(back.map((r) => Buffer.from(r.body).toString())).toEqual(originals.map((r) => Buffer.from(r.body).toString()));
    expect(back.map((r) => r.routingKey)).toEqual(originals.map((r) => r.routingKey));
  });
});

// last: it ingests a cast the counts above do not expect
describe('topology in two parts', () => {
  it('topology.snapshot without vteps, and topology.vteps, make up the whole snapshot', async () => {
    const fdb = {
      [NET]: {
        segment_id: 649,
        network_type: 'vxlan',
        ports: {
          '10.0.20.13': [
            ['00:00:00:00:00:00', '0.0.0.0'],
            ['fa:16:3e:aa:bb:cc', '10.9.0.7'],
          ],
        },
      },
    };
    const body = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'add_fdb_entries', args: { fdb_entries: fdb } }) });
    // the procedures answer from the prepared model: read once, then the stored changes folded
    const byId = <T extends { id: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    const byKey = (xs: ModelSnapshot['vteps']) => [...xs].sort((a, b) => a.network.localeCompare(b.network) || a.vtep.localeCompare(b.vtep));
    const sameAsStored = async (snap: ModelSnapshot) => {
      const stored = await readModelSnapshot(seed.db);
      expect({ ...snap, hosts: byId(snap.hosts), networks: byId(snap.networks), vteps: byKey(snap.vteps) }).toEqual(stored);
    };
    await api.topology.snapshot();
    expect(preparedModelOf(seed.db).lastHow).toMatch(/read|kept/);
    await seed.ingest([
      { exchange: 'q-agent-notifier-l2population-update_fanout', routingKey: '', body: new TextEncoder().encode(body), receivedAt: Date.now() },
    ]);
    const whole = await api.topology.snapshot();
    expect(preparedModelOf(seed.db).lastHow).toBe('folded');
    await sameAsStored(whole);
    expect(whole.vteps.find((v) => v.vtep === '10.0.20.13')?.macs).toEqual(['fa:16:3e:aa:bb:cc']);
    const first = await api.topology.snapshot({ vteps: false });
    expect(first).toEqual({ ...whole, vteps: [] });
    const rest = await api.topology.vteps();
    expect(rest).toEqual({ seq: whole.seq, vteps: whole.vteps });
    expect(preparedModelOf(seed.db).lastHow).toBe('kept');
    // an expiry changes the snapshot without a message: read whole again
    const gone = whole.hosts[0]!.id;
    await expireHosts(seed.db, [gone], new Date());
    const after = await api.topology.snapshot();
    expect(preparedModelOf(seed.db).lastHow).toBe('read');
    expect(after.hosts.map((h) => h.id)).not.toContain(gone);
    await sameAsStored(after);
    // retention past the prepared seq deletes the removal's message and compacts its change away:
    // folding what is left would keep the removed VTEP entry, so the model is read whole
    const remove = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'remove_fdb_entries', args: { fdb_entries: fdb } }) });
    const cast = (b: string) => ({
      exchange: 'q-agent-notifier-l2population-update_fanout',
      routingKey: '',
      body: new TextEncoder().encode(b),
      receivedAt: Date.now(),
    });
    await seed.ingest([cast(remove), cast(remove)]);
    await pruneRetention(seed.db, { maxMessages: 1 });
    const pruned = await api.topology.snapshot();
    expect(preparedModelOf(seed.db).lastHow).toBe('read');
    expect(pruned.vteps.find((v) => v.vtep === '10.0.20.13')?.macs ?? []).not.toContain('fa:16:3e:aa:bb:cc');
    await sameAsStored(pruned);
  });
});
