/**
 * The node agent on real components: two network namespaces of the test's own joined by a veth
 * underlay (10.99.0.1 <-> 10.99.0.2), kernel VXLAN devices as the Linux bridge agent builds them
 * (VNI 649 with the ARP responder's `proxy` + PERMANENT neighbour, VNI 650 without), FDB rows as
 * l2pop writes them, an agent ini each; the agent runs inside each namespace (`ip netns exec`) and
 * publishes to a RabbitMQ vhost of the test's own through a socat relay (as the lab does), with a
 * least-privilege user (configure + write on `^l2scope\.node$` only). Needs root; skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BumFlow,
  type BumReport,
  type FullNodeSnapshot,
  NODE_AGENT_WIRE,
  type NodeSnapshot,
  applyNodeDelta,
  mergeBumFlows,
  nodeAgentTopicPattern,
  nodeAgentUser,
  parseBumReport,
  parseNodeSnapshot,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { type TestVhost, createTestVhost } from '@l2scope/testkit';
import type { AgentStatus } from '../src/status';
import { Harness, type Proc, REPO_ROOT, integrationSkipReason, until } from './netns';

const skip = integrationSkipReason();
if (skip) console.warn(`apps/agent integration tests: ${skip}`);

interface Received {
  routingKey: string;
  headers: Record<string, unknown>;
  messageId: string | undefined;
  deliveryMode: number | undefined;
  contentType: string | undefined;
  type: string | undefined;
  at: number;
  /** AMQP user_id: the agent sets it to its RabbitMQ user (the broker checks it). */
  userId: string | undefined;
  body: unknown;
}

const HOST_A = 'host-a.l2scope.test'; // dotted, like many Neutron host names
const HOST_B = 'host-b.l2scope.test';
const HOST_C = 'host-c.l2scope.test';

describe.skipIf(skip !== null)('node agent in network namespaces (real kernel, real RabbitMQ)', () => {
  let h: Harness;
  let vhost: TestVhost;
  let conn: ChannelModel | null = null;
  const agentUrls = new Map<string, string>();
  let nsA: string;
  let nsB: string;
  let relayA: Proc;
  let agentA: Proc;
  let agentB: Proc;
  const received: Received[] = [];
  /** The latest full state per host, with every delta applied in order. */
  const state = new Map<string, FullNodeSnapshot>();
  const mismatches: string[] = [];

  const statusA = () => path.join(h.dir, 'status-a', 'status.json');
  const statusB = () => path.join(h.dir, 'status-b.json');
  const readStatus = (file: string): AgentStatus | undefined => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as AgentStatus;
    } catch {
      return undefined;
    }
  };
  /** The image's health probe on a status file: exit code and its line. */
  const healthcheck = (file: string) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(REPO_ROOT, 'docker/agent-healthcheck.mjs'), 'L2SCOPE_AGENT_STATUS_FILE', 'L2SCOPE_AGENT_STALE_AFTER_S', '90'],
        { env: { L2SCOPE_AGENT_STATUS_FILE: file }, timeout: 20_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}`.trim() }),
      );
    });

  const snapshotsOf = (host: string) => received.filter((m) => m.routingKey === NODE_AGENT_WIRE.snapshotKey(host)).map((m) => m.body as NodeSnapshot);
  const bumOf = (host: string, since = 0) =>
    received.filter((m) => m.routingKey === NODE_AGENT_WIRE.bumKey(host) && m.at >= since).map((m) => m.body as BumReport);

  beforeAll(async () => {
    h = new Harness();
    vhost = await createTestVhost('l2scope-agent-test');
    // one publish-only user per host, its topic permission limited to its own routing keys (docs/rabbitmq.md)
    for (const host of [HOST_A, HOST_B, HOST_C]) {
      const topics = [{ exchange: NODE_AGENT_WIRE.exchange, write: nodeAgentTopicPattern(host), read: '^$' }];
      agentUrls.set(host, (await vhost.addUser({ ...NODE_AGENT_WIRE.permissions }, { name: nodeAgentUser(host), topics })).url);
    }

    nsA = await h.addNamespace('a');
    nsB = await h.addNamespace('b');
    await h.ip(nsA, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', nsB);
    for (const [ns, ip, peer] of [
      [nsA, '10.99.0.1', '10.99.0.2'],
      [nsB, '10.99.0.2', '10.99.0.1'],
    ] as const) {
      await h.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0');
      await h.ip(ns, 'link', 'set', 'ul0', 'up');
      for (const vni of [649, 650]) {
        const proxy = ns === nsA && vni === 649 ? ['proxy'] : [];
        await h.ip(ns, 'link', 'add', `vxlan-${vni}`, 'type', 'vxlan', 'id', String(vni), 'local', ip, 'dstport', '8472', 'nolearning', ...proxy, 'dev', 'ul0');
        await h.ip(ns, 'link', 'add', `brq${vni}`, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
        await h.ip(ns, 'link', 'set', `vxlan-${vni}`, 'master', `brq${vni}`, 'up');
        await h.ip(ns, 'link', 'set', `brq${vni}`, 'up');
        await h.exec(ns, 'bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', `vxlan-${vni}`, 'dst', peer);
      }
      writeFileSync(
        path.join(h.dir, `${ns}.ini`),
        `[vxlan]\nenable_vxlan = true\nlocal_ip = ${ip}\nl2_population = true\narp_responder = ${ns === nsA}\n\n[agent]\npolling_interval = 2\n`,
      );
    }
    // A: l2pop's unicast row + the ARP responder's neighbour on VNI 649; "VM" addresses on the bridges
    await h.exec(nsA, 'bridge', 'fdb', 'append', 'fa:16:3e:00:00:02', 'dev', 'vxlan-649', 'dst', '10.99.0.2');
    await h.ip(nsA, 'neigh', 'replace', '172.31.0.2', 'lladdr', 'fa:16:3e:00:00:02', 'dev', 'vxlan-649', 'nud', 'permanent');
    await h.ip(nsA, 'addr', 'add', '172.31.0.1/24', 'dev', 'brq649');
    await h.ip(nsA, 'addr', 'add', '172.31.1.1/24', 'dev', 'brq650');
    // a MAC no FDB knows (unknown unicast), and one ARP probe per resolution (exact counts)
    await h.ip(nsA, 'neigh', 'replace', '172.31.1.9', 'lladdr', 'aa:bb:cc:00:00:09', 'dev', 'brq650', 'nud', 'permanent');
    await h.exec(nsA, 'sysctl', '-q', '-w', 'net.ipv4.neigh.brq650.mcast_solicit=1');

    // the consumer (root namespace, admin user of the vhost): what the worker binds
    conn = await amqp.connect(vhost.adminUrl);
    const ch = await conn.createChannel();
    await ch.assertExchange(NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.exchangeType, { ...NODE_AGENT_WIRE.exchangeOptions });
    const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(q.queue, NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.snapshotBinding);
    await ch.bindQueue(q.queue, NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.bumBinding);
    await ch.consume(
      q.queue,
      (msg) => {
        if (!msg) return;
        const json = JSON.parse(msg.content.toString('utf8')) as unknown;
        const isBum = msg.fields.routingKey.startsWith('bum.');
        const body = isBum ? parseBumReport(json) : parseNodeSnapshot(json);
        received.push({
          routingKey: msg.fields.routingKey,
          headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
          messageId: msg.properties.messageId as string | undefined,
          deliveryMode: msg.properties.deliveryMode as number | undefined,
          contentType: msg.properties.contentType as string | undefined,
          type: msg.properties.type as string | undefined,
          userId: msg.properties.userId as string | undefined,
          at: Date.now(),
          body,
        });
        if (isBum) return;
        const s = body as NodeSnapshot;
        if (s.kind === 'full') state.set(s.host, s);
        else {
          const base = state.get(s.host);
          try {
            if (!base) throw new Error('delta before any full');
            state.set(s.host, applyNodeDelta(base, s));
          } catch (e) {
            mismatches.push(`${s.host} seq ${s.seq}: ${(e as Error).message}`);
          }
        }
      },
      { noAck: true },
    );

    h.startRootRelay();
    relayA = h.startNsRelay(nsA);
    h.startNsRelay(nsB);
    await new Promise((r) => setTimeout(r, 300));
    const common = ['--interval', '30', '--bum-interval', '1'];
    // a status file of an "earlier process" (instance `stale`): the agent removes it on start and
    // writes its own after its first confirmed publish
    mkdirSync(path.dirname(statusA()), { recursive: true });
    writeFileSync(
      statusA(),
      JSON.stringify({
        schema: 'l2scope.agent-status/1',
        host: HOST_A,
        instance: 'stale',
        lastConfirmedAt: new Date().toISOString(),
        seq: 999,
        bum: { state: 'capturing', lastConfirmedAt: new Date().toISOString() },
      }),
    );
    agentA = h.startAgent(nsA, [
      '--host',
      HOST_A,
      '--ini',
      path.join(h.dir, `${nsA}.ini`),
      '--status-file',
      statusA(),
      '--amqp',
      agentUrls.get(HOST_A)!,
      ...common,
    ]);
    // B takes the file from the variable the container image sets
    agentB = h.startAgent(nsB, ['--host', HOST_B, '--ini', path.join(h.dir, `${nsB}.ini`), '--amqp', agentUrls.get(HOST_B)!, ...common], {
      ...process.env,
      L2SCOPE_AGENT_STATUS_FILE: statusB(),
    });
  });

  afterAll(async () => {
    if (process.env.L2SCOPE_AGENT_TEST_LOG) console.log(dump(200));
    await conn?.close().catch(() => undefined);
    await h?.cleanup();
    await vhost?.cleanup();
  });

  const dump = (n = 30) => `agent A log:\n${agentA?.lines.slice(-n).join('\n')}\nagent B log:\n${agentB?.lines.slice(-n).join('\n')}`;

  it('publishes a full snapshot on start that equals the configured kernel state and ini', async () => {
    const full = await until('a full snapshot from A', () => snapshotsOf(HOST_A).find((s) => s.kind === 'full'), 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${dump()}`);
    });
    expect(full.kind).toBe('full');
    if (full.kind !== 'full') return;
    expect(full.host).toBe(HOST_A);
    expect(full.errors).toEqual([]);
    const fdb = [...full.linuxbridge!.fdb].sort((a, b) => `${a.dev}${a.mac}`.localeCompare(`${b.dev}${b.mac}`));
    expect(fdb).toEqual([
      { mac: '00:00:00:00:00:00', dev: 'vxlan-649', dst: '10.99.0.2', master: null, flags: ['self'], state: 'permanent' },
      { mac: 'fa:16:3e:00:00:02', dev: 'vxlan-649', dst: '10.99.0.2', master: null, flags: ['self'], state: 'permanent' },
      { mac: '00:00:00:00:00:00', dev: 'vxlan-650', dst: '10.99.0.2', master: null, flags: ['self'], state: 'permanent' },
    ]);
    expect(full.linuxbridge!.neigh).toEqual([{ ip: '172.31.0.2', dev: 'vxlan-649', mac: 'fa:16:3e:00:00:02', state: ['PERMANENT'] }]);
    const dev = (vni: number, proxy: boolean) => ({
      name: `vxlan-${vni}`,
      vni,
      local: '10.99.0.1',
      group: null,
      remote: null,
      link: 'ul0',
      dstport: 8472,
      proxy,
      learning: false,
      external: false,
      master: `brq${vni}`,
      up: true,
    });
    expect(full.linuxbridge!.vxlan).toEqual([dev(649, true), dev(650, false)]);
    expect(full.linuxbridge!.bridges).toEqual([
      { name: 'brq649', up: true, ports: [{ name: 'vxlan-649', state: 'forwarding' }] },
      { name: 'brq650', up: true, ports: [{ name: 'vxlan-650', state: 'forwarding' }] },
    ]);
    expect(full.agent.type).toBe('linuxbridge');
    expect(full.agent.ini).toMatchObject({ localIp: '10.99.0.1', l2population: true, arpResponder: true, arpResponderEffective: true, udpPort: 8472 });
    expect(full.openvswitch).toBeNull();
    // the message: own exchange, routing key with the dotted host, schema header, persistent
    const m = received.find((r) => r.routingKey === `snapshot.${HOST_A}`)!;
    expect(m.headers['x-l2scope-schema']).toBe('l2scope.node-snapshot/1');
    expect(m.deliveryMode).toBe(2);
    expect(m.contentType).toBe('application/json');
    expect(m.type).toBe('full');
    // who published: the agent's own user, which the broker checked against the connection
    expect(m.userId).toBe(nodeAgentUser(HOST_A));
    expect(m.messageId).toBe(`${full.instance}:${full.seq}`);
    // B too
    await until('a full snapshot from B', () => snapshotsOf(HOST_B).find((s) => s.kind === 'full'), 20_000);
  });

  it('--status-file: rewritten after confirmed publishes (seq of a published snapshot, BUM state), the stale one replaced; the image health probe passes', async () => {
    for (const [host, file] of [
      [HOST_A, statusA()],
      [HOST_B, statusB()],
    ] as const) {
      const st = await until(
        `${host}'s status with a confirmed snapshot and a capturing BUM meter`,
        () => {
          const x = readStatus(file);
          return x?.host === host && x.instance !== 'stale' && x.lastConfirmedAt && x.bum.state === 'capturing' && x.bum.lastConfirmedAt ? x : undefined;
        },
        20_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(readStatus(file))}\n${dump()}`);
      });
      expect(st).toMatchObject({
        schema: 'l2scope.agent-status/1',
        intervalS: 30,
        brokerConnected: true,
        bum: { state: 'capturing', reason: null, iface: 'ul0' },
      });
      const published = snapshotsOf(host).find((s) => s.instance === st.instance && s.seq === st.seq);
      expect(published, `seq ${st.seq} was published`).toBeDefined();
      expect(st.lastFullConfirmedAt).not.toBeNull();
      expect(Date.now() - Date.parse(st.lastConfirmedAt!)).toBeLessThan(60_000);
      const hc = await healthcheck(file);
      expect(hc.code, hc.out).toBe(0);
      expect(hc.out).toMatch(/broker connected, bum capturing/);
    }
    expect(readdirSync(path.dirname(statusA()))).toEqual(['status.json']); // no temporary files left
  });

  it('sends deltas within seconds of FDB / neighbour changes; applied to the full they give the new state', async () => {
    await until('A started', () => state.get(HOST_A));
    const t0 = Date.now();
    await h.exec(nsA, 'bridge', 'fdb', 'append', 'fa:16:3e:00:00:03', 'dev', 'vxlan-649', 'dst', '10.99.0.2');
    const withNew = await until(
      'a delta with fa:16:3e:00:00:03',
      () => {
        const s = state.get(HOST_A)!;
        return s.linuxbridge!.fdb.some((r) => r.mac === 'fa:16:3e:00:00:03') ? s : undefined;
      },
      10_000,
    );
    const lagMs = Date.now() - t0;
    expect(lagMs).toBeLessThan(5000);
    const delta = snapshotsOf(HOST_A)
      .filter((s) => s.kind === 'delta')
      .pop()!;
    expect(delta.kind).toBe('delta');
    expect(Object.keys(delta.linuxbridge ?? {})).toEqual(['fdb']);
    expect(received.find((r) => r.type === 'delta')!.deliveryMode).toBe(1);
    expect(withNew.linuxbridge!.fdb.find((r) => r.mac === 'fa:16:3e:00:00:03')).toEqual({
      mac: 'fa:16:3e:00:00:03',
      dev: 'vxlan-649',
      dst: '10.99.0.2',
      master: null,
      flags: ['self'],
      state: 'permanent',
    });

    // a neighbour added and the unicast row removed, in one go
    await h.ip(nsA, 'neigh', 'replace', '172.31.0.3', 'lladdr', 'fa:16:3e:00:00:03', 'dev', 'vxlan-649', 'nud', 'permanent');
    await h.exec(nsA, 'bridge', 'fdb', 'del', 'fa:16:3e:00:00:03', 'dev', 'vxlan-649', 'dst', '10.99.0.2');
    const after = await until(
      'deltas with the new neighbour and without fa:16:3e:00:00:03',
      () => {
        const s = state.get(HOST_A)!;
        return s.linuxbridge!.neigh.some((n) => n.ip === '172.31.0.3') && !s.linuxbridge!.fdb.some((r) => r.mac === 'fa:16:3e:00:00:03') ? s : undefined;
      },
      10_000,
    );
    expect(after.linuxbridge!.neigh.map((n) => n.ip).sort()).toEqual(['172.31.0.2', '172.31.0.3']);
    expect(after.linuxbridge!.fdb.map((r) => `${r.dev} ${r.mac}`).sort()).toEqual([
      'vxlan-649 00:00:00:00:00:00',
      'vxlan-649 fa:16:3e:00:00:02',
      'vxlan-650 00:00:00:00:00:00',
    ]);
    expect(mismatches).toEqual([]);
    // and the applied state equals what a fresh full snapshot of the node says (support bundle below)
  });

  it('writes a support bundle whose files round-trip through snapshotsFromBundle to the live state', async () => {
    const dir = path.join(h.dir, 'bundle');
    const r = await h.runAgent(nsA, ['--host', HOST_A, '--ini', path.join(h.dir, `${nsA}.ini`), '--bundle', dir]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    const names = readdirSync(dir).sort();
    expect(names).toEqual(
      ['agent.ini', 'bridge-fdb.json', 'bridge-link.json', 'ip-link-bridge.json', 'ip-link-vxlan.json', 'ip-neigh.json', 'meta.json'].map(
        (s) => `${HOST_A}-${s}`,
      ),
    );
    const files = Object.fromEntries(names.map((n) => [n, readFileSync(path.join(dir, n), 'utf8')]));
    const { snapshots, errors } = snapshotsFromBundle(files);
    expect(errors).toEqual([]);
    expect(snapshots).toHaveLength(1);
    const b = snapshots[0]!;
    const live = state.get(HOST_A)!;
    expect(b.host).toBe(HOST_A);
    expect(b.agent).toEqual(live.agent);
    expect(b.linuxbridge).toEqual(live.linuxbridge);
  });

  it('meters BUM per VNI and remote VTEP: ARP and unknown unicast cross on VNI 650, none on 649 (proxy), known unicast for context', async () => {
    await until('BUM reports from A and B', () => bumOf(HOST_A).length > 0 && bumOf(HOST_B).length > 0, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${dump()}`);
    });
    const first = bumOf(HOST_A)[0]!;
    expect(first).toMatchObject({ schema: 'l2scope.bum/1', host: HOST_A, vtep: '10.99.0.1', iface: 'ul0', udpPort: 8472, unavailable: null });
    const bumMsg = received.find((r) => r.routingKey === `bum.${HOST_A}`)!;
    expect(bumMsg.headers['x-l2scope-schema']).toBe('l2scope.bum/1');
    const mark = Date.now();
    // VNI 649: the ARP responder (proxy) answers locally; the echo requests go as known unicast
    await h.ping(nsA, '-c', '2', '-i', '0.2', '-W', '1', '172.31.0.2');
    // VNI 650: one ARP request for an absent address (flooded to 10.99.0.2), then 2 frames to a MAC no FDB knows
    await h.ping(nsA, '-c', '1', '-W', '1', '172.31.1.8');
    await h.ping(nsA, '-c', '2', '-i', '0.2', '-W', '1', '172.31.1.9');
    const flowOf = (flows: BumFlow[], vni: number, remote: string, dir: 'tx' | 'rx') =>
      flows.find((f) => f.vni === vni && f.remoteVtep === remote && f.direction === dir);
    await until(
      "the pings in A's and B's BUM reports",
      () => {
        const a = mergeBumFlows(bumOf(HOST_A, mark));
        const b = mergeBumFlows(bumOf(HOST_B, mark));
        return (
          (flowOf(a, 650, '10.99.0.2', 'tx')?.unknownUnicast ?? 0) >= 2 &&
          (flowOf(a, 649, '10.99.0.2', 'tx')?.unicast ?? 0) >= 2 &&
          (flowOf(b, 650, '10.99.0.1', 'rx')?.arp ?? 0) >= 1
        );
      },
      15_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(mergeBumFlows(bumOf(HOST_A, mark)))}\n${dump()}`);
    });
    await new Promise((r) => setTimeout(r, 2500)); // anything late would show up now
    const a = mergeBumFlows(bumOf(HOST_A, mark));
    const b = mergeBumFlows(bumOf(HOST_B, mark));
    expect(flowOf(a, 649, '10.99.0.2', 'tx')).toMatchObject({
      outerMulticast: false,
      broadcast: 0,
      multicast: 0,
      unknownUnicast: 0,
      arp: 0,
      unicast: 2,
      packets: 2,
    });
    expect(flowOf(a, 650, '10.99.0.2', 'tx')).toMatchObject({
      outerMulticast: false,
      broadcast: 1,
      multicast: 0,
      unknownUnicast: 2,
      arp: 1,
      arpRequest: 1,
      arpReply: 0,
      unicast: 0,
      packets: 3,
    });
    expect(flowOf(b, 650, '10.99.0.1', 'rx')).toMatchObject({ outerMulticast: false, broadcast: 1, arp: 1, arpRequest: 1 });
    expect(flowOf(b, 649, '10.99.0.1', 'rx')).toMatchObject({ arp: 0, broadcast: 0, packets: 2 });
    // nothing else crossed: no other flows, every packet decoded
    expect(a.filter((f) => f.direction === 'tx').map((f) => `${f.vni} ${f.remoteVtep}`)).toEqual(['649 10.99.0.2', '650 10.99.0.2']);
    for (const r of bumOf(HOST_A, mark)) {
      expect(r.sampled).toBe(1);
      expect(r.undecodable).toBe(0);
      expect(r.captureDropped).toBe(0);
    }
  });

  it('keeps the latest full while the broker is unreachable and sends a full with the new state after reconnecting', async () => {
    const before = snapshotsOf(HOST_A).length;
    const lastSeq = snapshotsOf(HOST_A).at(-1)!.seq;
    const confirmedBefore = readStatus(statusA())!.lastConfirmedAt!;
    await h.stop(relayA); // A's way to the broker is gone (the broker itself keeps running)
    await until('A to notice', () => agentA.lines.some((l) => l.includes('amqp: disconnected')), 15_000);
    // the status file says so at once; its last confirmed publish stays where it was
    const down = await until(
      "A's status to say disconnected",
      () => (readStatus(statusA())?.brokerConnected === false ? readStatus(statusA()) : undefined),
      5000,
    );
    expect(Date.parse(down!.lastConfirmedAt!)).toBeGreaterThanOrEqual(Date.parse(confirmedBefore));
    await h.exec(nsA, 'bridge', 'fdb', 'append', 'fa:16:3e:00:00:04', 'dev', 'vxlan-649', 'dst', '10.99.0.2');
    await until('A to record the change while disconnected', () => agentA.lines.some((l) => /snapshot: (delta|full) .*(not sent|kept)/.test(l)), 10_000);
    relayA = h.startNsRelay(nsA);
    const full = await until(
      'a full after the reconnection',
      () =>
        snapshotsOf(HOST_A)
          .slice(before)
          .find((s) => s.kind === 'full'),
      30_000,
    );
    expect(full.seq).toBeGreaterThan(lastSeq);
    const up = await until(
      "A's status to record a confirmed snapshot after the reconnection",
      () => {
        const x = readStatus(statusA());
        return x?.brokerConnected && x.seq !== null && x.seq >= full.seq ? x : undefined;
      },
      10_000,
    );
    expect(Date.parse(up.lastConfirmedAt!)).toBeGreaterThan(Date.parse(down!.lastConfirmedAt!));
    expect(state.get(HOST_A)!.linuxbridge!.fdb.some((r) => r.mac === 'fa:16:3e:00:00:04')).toBe(true);
    expect(agentA.child.exitCode).toBeNull();
    expect(mismatches).toEqual([]);
  });

  it('without tcpdump: says "bum: unavailable (tcpdump missing)" in its log and its reports, and keeps publishing snapshots', async () => {
    const hostC = HOST_C;
    // Debian keeps ip and bridge in /usr/sbin, tcpdump in /usr/bin only
    const c = h.startAgent(nsB, ['--host', hostC, '--ini', path.join(h.dir, `${nsB}.ini`), '--amqp', agentUrls.get(HOST_C)!, '--bum-interval', '1'], {
      ...process.env,
      PATH: '/usr/sbin:/sbin',
    });
    const report = await until('an unavailable BUM report', () => bumOf(hostC).find((r) => r.unavailable !== null), 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${c.lines.join('\n')}`);
    });
    expect(report).toMatchObject({ unavailable: 'tcpdump missing', flows: [], captured: 0, iface: 'ul0', vtep: '10.99.0.2' });
    expect(c.lines.some((l) => l.includes('bum: unavailable (tcpdump missing'))).toBe(true);
    const full = await until('its full snapshot', () => snapshotsOf(hostC).find((s) => s.kind === 'full'), 10_000);
    expect(full.kind === 'full' && full.errors).toEqual([]);
    expect((await h.stop(c)).code).toBe(0);
  });

  it('stops on SIGTERM: exit 0, its tcpdump and monitors gone', async () => {
    const pids = agentA.lines
      .map((l) => /(?:tcpdump pid|running \(pid) (\d+)/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(3); // ip monitor, bridge monitor, tcpdump
    process.kill(agentA.child.pid!, 'SIGTERM'); // the agent itself, not its group: it must stop its children
    const r = await agentA.exited;
    expect(r.code, agentA.lines.slice(-10).join('\n')).toBe(0);
    for (const pid of pids) {
      let alive: boolean;
      try {
        alive = !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        alive = false;
      }
      expect(alive, `pid ${pid} still running`).toBe(false);
    }
    expect(agentA.lines.some((l) => l.includes('agent: stopped'))).toBe(true);
  });
});
