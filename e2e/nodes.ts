/**
 * The node view's test inputs, all real: node snapshots built from the fixtures' support bundles
 * (kernel / br-tun captures of the lab), BUM reports metered from the lab's underlay pcaps, the
 * step times of `events.tsv`, and a publisher playing the node agents on `l2scope.node`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { type BumReport, type FullNodeSnapshot, NODE_EXCHANGE, nodeRoutingKey, snapshotsFromBundle } from '@l2scope/domain';
import { fixtureBumReport } from '@l2scope/testkit';
import type { NodesStatus } from '@l2scope/worker';
import { type NodeAgentLogin, type Stack, root } from './stack';

/**
 * Epoch seconds of a step's snapshot in `fixtures/<scenario>/events.tsv` (the worker's `--until`):
 * a line `<epoch>\tsnapshot <step>`, or in the three-column files (`dvr-lab`, `gre-ovs`)
 * `<epoch>\tsnapshot\t<step>`.
 */
export function stepUntil(scenario: string, step: string): string {
  for (const line of readFileSync(path.join(root, 'fixtures', scenario, 'events.tsv'), 'utf8').split('\n')) {
    const [epoch, ...text] = line.split('\t');
    if (text.join(' ') === `snapshot ${step}` && epoch) return epoch;
  }
  throw new Error(`no step ${step} in ${scenario}`);
}

/** Worker arguments: replay `<scenario>.jsonl` up to a step and load that step's support bundle. */
export function replayStep(scenario: string, step: string): string[] {
  return [
    '--replay',
    path.join(root, 'fixtures', `${scenario}.jsonl`),
    '--speed',
    '0',
    '--until',
    stepUntil(scenario, step),
    '--snapshots',
    path.join(root, 'fixtures', scenario, step),
  ];
}

/** Full node snapshots of every host of a fixture step (as a node agent would send them: `instance`, `seq`, taken now). */
export function bundleSnapshots(scenario: string, step: string, seq: number): FullNodeSnapshot[] {
  const dir = path.join(root, 'fixtures', scenario, step);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(path.join(dir, f)).isFile()) files[f] = readFileSync(path.join(dir, f), 'utf8');
  const { snapshots, errors } = snapshotsFromBundle(files);
  if (errors.length) throw new Error(`bundle ${dir}: ${JSON.stringify(errors)}`);
  const now = new Date().toISOString();
  return snapshots.map((s) => ({ ...s, instance: `e2e-${s.host}`, seq, takenAt: now }));
}

/**
 * The BUM report a node agent sends for a lab host: its underlay capture (`<host>-ul0.pcap`)
 * metered with the host's FDB (its bundle files in the same directory).
 */
export const bumReportOf = (dir: string, host: string, vtep: string): BumReport => fixtureBumReport(path.join(root, dir), host, vtep, `e2e-${host}`);

/** Declare l2scope's node exchange on a vhost (as the worker does; an admin here, so it exists before any test publishes). */
export async function declareNodeExchange(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange(NODE_EXCHANGE.name, NODE_EXCHANGE.type, { durable: NODE_EXCHANGE.durable, autoDelete: NODE_EXCHANGE.autoDelete });
  await conn.close();
}

/**
 * Plays the node agents: publishes snapshots (`snapshot.<host>`) and BUM reports (`bum.<host>`),
 * each host as its own RabbitMQ user (`stack.nodeAgents`, `user_id` set as the agent sets it).
 * @throws Error when a host has no user in the stack
 */
export async function nodePublisher(agents: ReadonlyMap<string, NodeAgentLogin>) {
  const open = new Map<string, { conn: amqp.ChannelModel; ch: amqp.ConfirmChannel; user: string }>();
  const channelOf = async (host: string) => {
    let c = open.get(host);
    if (!c) {
      const login = agents.get(host);
      if (!login) throw new Error(`no node agent user for ${host} in the stack`);
      const conn = await amqp.connect(login.url);
      c = { conn, ch: await conn.createConfirmChannel(), user: login.user };
      open.set(host, c);
    }
    return c;
  };
  const publish = async (kind: 'snapshot' | 'bum', host: string, body: object) => {
    const { ch, user } = await channelOf(host);
    ch.publish(NODE_EXCHANGE.name, nodeRoutingKey(kind, host), Buffer.from(JSON.stringify(body)), { contentType: 'application/json', userId: user });
    await ch.waitForConfirms();
  };
  return {
    snapshots: async (snaps: FullNodeSnapshot[]) => {
      for (const s of snaps) await publish('snapshot', s.host, s);
    },
    bum: (r: BumReport) => publish('bum', r.host, r),
    /** Publish `body` as `host`'s agent on its own routing key, whatever host the body names (a forgery the worker must refuse). */
    raw: (host: string, kind: 'snapshot' | 'bum', body: object) => publish(kind, host, body),
    close: async () => {
      for (const c of open.values()) await c.conn.close().catch(() => undefined);
    },
  };
}

/**
 * The id of the network the worker's analysis holds for `host` (polled on `/api/nodes` until the
 * worker has analysed the snapshots under test against the replayed casts; up to 30 s). A flood
 * list keyed `vni:<n>` comes from an analysis made before the model knew the network (the worker
 * answers HTTP before its replay has run): polled past. Errors: the poll's timeout.
 */
export async function analysedNetwork(stack: Stack, host = 'controller'): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await stack.workerApi<NodesStatus | null>('/api/nodes');
    const network = Object.keys(r?.analysis?.hosts[host]?.flood ?? {}).find((n) => !n.startsWith('vni:'));
    if (network) return network;
    if (Date.now() > deadline) throw new Error(`no analysed network for ${host} on /api/nodes after 30 s`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
