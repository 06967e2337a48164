/**
 * The model projection on both databases (a temporary SQLite file, a uniquely named PostgreSQL
 * database): written batch by batch from real captures it holds what the domain's model holds,
 * and a host's told FDB read from it equals the model's; snapshot reads see one commit; deleted
 * networks stay as history; host ids that are one row once storable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { ClusterModel, type ModelChange, decodeMessage, hostIn, networkIn, parseCapture, toldFdbOf, vtepEntriesIn } from '@l2scope/domain';
import {
  type Db,
  findNetwork,
  listNetworks,
  readHostModel,
  readModelSnapshot,
  writeModelChanges,
  writeModelSeq,
  writeModelSeqTx,
  writeTransaction,
} from '../src/index';
import { readConsistent } from '../src/client';
import { eachProvider } from './provider-db';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** The changes of a real capture folded by a fresh model, per message, and that model. */
function captureChanges(scenario: string): { model: ClusterModel; perMessage: ModelChange[][] } {
  const { records } = parseCapture(readFileSync(path.join(FIXTURES, `${scenario}.jsonl`), 'utf8'));
  const model = new ClusterModel();
  const perMessage = records.map((r, i) => {
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    return d.ok ? model.apply(d.message, r.ts.getTime(), i + 1) : [];
  });
  return { model, perMessage };
}

eachProvider('repo_projection', (provider, opened) => {
  let db: Db;
  beforeAll(() => {
    db = opened();
  });

  it('readConsistent reads in one snapshot: REPEATABLE READ on PostgreSQL, a transaction on SQLite', async () => {
    const level = await readConsistent(db, async (tx) =>
      provider === 'postgresql'
        ? (await tx.$queryRawUnsafe<{ transaction_isolation: string }[]>('SHOW transaction_isolation'))[0]!.transaction_isolation
        : // SQLite: a second BEGIN inside a transaction is refused
          await tx.$executeRawUnsafe('BEGIN').then(
            () => 'no transaction',
            (e: unknown) => (String(e).includes('within a transaction') ? 'transaction' : String(e)),
          ),
    );
    expect(level).toBe(provider === 'postgresql' ? 'repeatable read' : 'transaction');
  });

  it('a snapshot read while batches commit is the state of one commit: its seq and its rows agree', async () => {
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
    await writeModelSeq(db, 0);
    const host = (k: number): ModelChange => ({
      type: 'host',
      host: {
        id: `consistency-${k}`,
        name: `consistency-${k}`,
        vtep: `10.9.${k >> 8}.${k & 255}`,
        agentType: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        l2population: true,
        arpResponder: null,
        distributedRouting: null,
        tunnelTypes: ['vxlan'],
        devices: 0,
        startedAt: null,
        lastReportAt: k,
        networks: {},
      },
    });
    // batch k adds host k and sets seq k: in any committed state, hosts == seq
    const BATCHES = 120;
    let writing = true;
    const writer = (async () => {
      try {
        for (let k = 1; k <= BATCHES; k++)
          await writeTransaction(db, provider, async (tx) => {
            await writeModelChanges(tx, [host(k)]);
            await writeModelSeqTx(tx, k);
          });
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    const torn: string[] = [];
    while (writing || reads === 0) {
      const [whole, one] = await Promise.all([readModelSnapshot(db), readHostModel(db, 'consistency-1')]);
      if (whole.hosts.length !== whole.seq) torn.push(`snapshot: seq ${whole.seq}, ${whole.hosts.length} hosts`);
      if ((one.hosts.length === 1) !== one.seq >= 1) torn.push(`host: seq ${one.seq}, ${one.hosts.length} hosts`);
      reads++;
    }
    await writer;
    console.log(`${provider}: ${reads} snapshot reads during ${BATCHES} commits, ${torn.length} torn`);
    expect(torn.slice(0, 5)).toEqual([]);
    expect((await readModelSnapshot(db)).hosts).toHaveLength(BATCHES);
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
  });

  it("the model projection, written batch by batch from real captures, holds the model's records and tells each host what the model tells it", async () => {
    for (const scenario of ['lab1', 'switch-noclean']) {
      await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
      const { model, perMessage } = captureChanges(scenario);
      // batches of 1, 2, ... 7 messages, as the worker's commit windows cut them
      for (let i = 0, size = 1; i < perMessage.length; i += size, size = (size % 7) + 1) {
        const changes = perMessage.slice(i, i + size).flat();
        const seq = Math.min(i + size, perMessage.length);
        await writeTransaction(db, provider, async (tx) => {
          await writeModelChanges(tx, changes);
          await writeModelSeqTx(tx, seq);
        });
      }
      // the same records (the projection reads them by key, the model lists them as they came)
      const stored = await readModelSnapshot(db);
      const s = model.snapshot();
      expect([stored.seq, stored.hosts.length, stored.networks.length, stored.vteps.length], scenario).toEqual([
        s.seq,
        s.hosts.length,
        s.networks.length,
        s.vteps.length,
      ]);
      for (const h of s.hosts) expect(hostIn(stored, h.id)).toEqual(h);
      for (const n of s.networks) expect(networkIn(stored, n.id)).toEqual(n);
      for (const v of s.vteps) expect(vtepEntriesIn(stored, v.network, v.vtep)).toEqual(v);
      expect(model.hostIds().length, scenario).toBeGreaterThan(0);
      for (const id of model.hostIds()) {
        const slice = await readHostModel(db, id);
        expect(slice.seq).toBe(model.seq);
        expect(hostIn(slice, id), `${scenario} ${id}`).toEqual(model.host(id));
        expect(toldFdbOf(slice, id), `${scenario} ${id}`).toEqual(model.toldFdb(id));
      }
      expect(await readHostModel(db, 'nobody')).toEqual({ seq: model.seq, hosts: [], networks: [], vteps: [] });
      // a removal (no capture has one): the host's row goes, the rest stays
      const [gone, ...rest] = model.hostIds();
      await writeTransaction(db, provider, (tx) => writeModelChanges(tx, [{ type: 'host_removed', id: gone! }]));
      expect((await readHostModel(db, gone!)).hosts).toEqual([]);
      expect((await readModelSnapshot(db)).hosts.map((h) => h.id).sort()).toEqual(rest.sort());
    }
  });

  it('a network_delete keeps the Network row as history (deletedAt) but out of the snapshot and the lists; a VNI reused is one live row', async () => {
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
    const m = new ClusterModel();
    const oslo = (method: string, args: object) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method, args }) });
    const fdb = (network: string) =>
      oslo('add_fdb_entries', {
        fdb_entries: { [network]: { segment_id: 650, network_type: 'vxlan', ports: { '10.0.0.1': [['00:00:00:00:00:00', '0.0.0.0']] } } },
      });
    const fold = async (exchange: string, body: string, at: number) => {
      const r = decodeMessage({ exchange, routingKey: '', body });
      if (!r.ok) throw new Error(r.error.message);
      const changes = m.apply(r.message, at, at);
      await writeTransaction(db, provider, (tx) => writeModelChanges(tx, changes));
    };
    await fold('q-agent-notifier-l2population-update_fanout', fdb('net-old'), 1000);
    await fold('q-agent-notifier-network-delete_fanout', oslo('network_delete', { network_id: 'net-old' }), 2000);
    await fold('q-agent-notifier-l2population-update_fanout', fdb('net-new'), 3000);
    expect(await findNetwork(db, 'net-old')).toEqual({ id: 'net-old', vni: 650, networkType: 'vxlan', deletedAt: 2000 });
    expect(await findNetwork(db, 'net-new')).toMatchObject({ deletedAt: null });
    expect(await listNetworks(db)).toEqual([{ id: 'net-new', vni: 650 }]);
    const stored = await readModelSnapshot(db);
    expect(stored.networks.map((n) => n.id)).toEqual(['net-new']);
    expect(stored.vteps.map((v) => v.network)).toEqual(['net-new']);
  });

  it('projects host ids that are one row once storable (NUL, lone surrogate) without a unique violation', async () => {
    const host = (id: string) => ({
      type: 'host' as const,
      host: {
        id,
        name: id,
        vtep: null,
        agentType: null,
        binary: null,
        l2population: null,
        arpResponder: null,
        distributedRouting: null,
        tunnelTypes: [],
        devices: null,
        startedAt: null,
        lastReportAt: null,
        networks: {},
      },
    });
    await writeTransaction(db, provider, (tx) => writeModelChanges(tx, [host('h\u0000'), host('h\ud800'), host('h\uFFFD')]));
    await writeTransaction(db, provider, (tx) => writeModelChanges(tx, [host('h\u0000')]));
    expect(await db.host.count({ where: { id: 'h\uFFFD' } })).toBe(1);
  });
});
