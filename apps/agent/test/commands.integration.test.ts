/**
 * Agent commands on real components: a RabbitMQ vhost of the test's own (the test plays the worker:
 * it declares `l2scope.node` and `l2scope.command`, signs commands with an Ed25519 key pair made
 * here, as the worker does, and reads the replies on `reply.#`), the REAL agent (main.ts) in a
 * network namespace of its own with a temporary ini, a temporary state directory and restart /
 * stop / start commands that are small real scripts writing a marker file (the start script
 * recreates the `vxlan-77` device, as the Linux bridge agent would), each agent under its own
 * RabbitMQ user with exactly `nodeAgentPermissions(host)`; and the broker itself enforcing those
 * permissions. Needs root; skipped otherwise.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { CompactSign, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_WIRE, type CommandReply, NODE_AGENT_WIRE, type AgentPlan, commandReplySchema, nodeAgentPermissions, nodeAgentUser } from '@l2scope/domain';
import { type TestVhost, createTestVhost } from '@l2scope/testkit';
import type { AgentStatus } from '../src/status';
import { Harness, type Proc, integrationSkipReason, until } from './netns';

const skip = integrationSkipReason();
if (skip) console.warn(`apps/agent command integration tests: ${skip}`);

const HOST_A = 'cmd-a.l2scope.test';
const HOST_R = 'cmd-r.l2scope.test'; // read-only: no public key
const HOST_P = 'cmd-p.l2scope.test'; // no agent: the broker's permission checks

const INI = `[linux_bridge]
physical_interface_mappings =

[vxlan]
# Enable VXLAN on the agent. (boolean value)
enable_vxlan = true
local_ip = 10.98.0.1
# Extension to use alongside ml2 plugin's l2population mechanism driver.
l2_population = true
#arp_responder = false
arp_responder = true

[agent]
polling_interval = 2
`;

interface Got {
  routingKey: string;
  userId: string | undefined;
  schema: unknown;
  reply: CommandReply;
}

describe.skipIf(skip !== null)('agent commands (real RabbitMQ, real agent, real files and devices)', () => {
  let h: Harness;
  let vhost: TestVhost;
  let conn: ChannelModel;
  let worker: Channel;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let otherKeys: Awaited<ReturnType<typeof generateKeyPair>>;
  let nsA: string;
  let agentA: Proc;
  let agentR: Proc;
  const got: Got[] = [];
  const urls = new Map<string, string>();
  const iniA = () => path.join(h.dir, 'a', 'linuxbridge_agent.ini');
  const marker = () => path.join(h.dir, 'a', 'marker');
  const statusOf = (host: string) => path.join(h.dir, `status-${host}.json`);
  const readStatus = (host: string): AgentStatus | undefined => {
    try {
      return JSON.parse(readFileSync(statusOf(host), 'utf8')) as AgentStatus;
    } catch {
      return undefined;
    }
  };
  const markerLines = () => (existsSync(marker()) ? readFileSync(marker(), 'utf8').trim().split('\n') : []);

  let n = 0;
  const command = (action: string, params: unknown, over: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { id: `test-${++n}-${Math.random().toString(36).slice(2, 10)}`, host: HOST_A, action, params, issuedAt: now, expiresAt: now + 30, ...over };
  };
  const sign = async (payload: unknown, privateKey = keys.privateKey) =>
    Buffer.from(await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey));
  /** Publish a signed body on l2scope.command as the worker does. */
  const publish = (body: Buffer, routingKey: string) =>
    worker.publish(COMMAND_WIRE.exchange, routingKey, body, {
      contentType: 'application/jose',
      headers: { [COMMAND_WIRE.schemaHeader]: COMMAND_WIRE.commandSchema },
    });
  const repliesOf = (id: string) => got.filter((g) => g.reply.commandId === id);
  const final = (id: string, timeoutMs = 30_000) =>
    until(`the final reply to ${id}`, () => repliesOf(id).find((g) => ['refused', 'done', 'failed'].includes(g.reply.status))?.reply, timeoutMs);
  /** Sign, publish to its host, wait for the final reply. */
  const send = async (c: { id: string; host: string }, privateKey = keys.privateKey) => {
    const body = await sign(c, privateKey);
    publish(body, c.host);
    return { body, reply: await final(c.id) };
  };

  beforeAll(async () => {
    h = new Harness();
    vhost = await createTestVhost('l2scope-agent-cmd');
    for (const host of [HOST_A, HOST_R, HOST_P]) {
      const p = nodeAgentPermissions(host);
      urls.set(host, (await vhost.addUser(p.vhost, { name: nodeAgentUser(host), topics: p.topics })).url);
    }
    keys = await generateKeyPair('EdDSA', { extractable: true });
    otherKeys = await generateKeyPair('EdDSA');
    writeFileSync(path.join(h.dir, 'worker.pem'), await exportSPKI(keys.publicKey));

    // the worker's side: both exchanges, a queue on reply.#
    conn = await amqp.connect(vhost.adminUrl);
    worker = await conn.createChannel();
    await worker.assertExchange(NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.exchangeType, { ...NODE_AGENT_WIRE.exchangeOptions });
    await worker.assertExchange(COMMAND_WIRE.exchange, COMMAND_WIRE.exchangeType, { ...COMMAND_WIRE.exchangeOptions });
    const q = await worker.assertQueue('', { exclusive: true, autoDelete: true });
    await worker.bindQueue(q.queue, NODE_AGENT_WIRE.exchange, COMMAND_WIRE.replyBinding);
    await worker.consume(
      q.queue,
      (m) => {
        if (!m) return;
        const parsed = commandReplySchema.safeParse(JSON.parse(m.content.toString('utf8')));
        if (!parsed.success) return; // the permission test's own '{}' on reply.<HOST_P>
        got.push({
          routingKey: m.fields.routingKey,
          userId: m.properties.userId as string | undefined,
          schema: (m.properties.headers ?? {})[COMMAND_WIRE.schemaHeader],
          reply: parsed.data,
        });
      },
      { noAck: true },
    );

    // host A: a namespace with an underlay and one vxlan device as the Linux bridge agent makes it
    nsA = await h.addNamespace('cmd-a');
    const nsR = await h.addNamespace('cmd-r');
    await h.ip(nsA, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', nsR);
    await h.ip(nsA, 'addr', 'add', '10.98.0.1/24', 'dev', 'ul0');
    await h.ip(nsA, 'link', 'set', 'ul0', 'up');
    const vx77 = ['link', 'add', 'vxlan-77', 'type', 'vxlan', 'id', '77', 'local', '10.98.0.1', 'dstport', '8472', 'nolearning', 'dev', 'ul0'];
    await h.ip(nsA, ...vx77);

    mkdirSync(path.join(h.dir, 'a'));
    writeFileSync(iniA(), INI, { mode: 0o640 });
    const script = (name: string, body: string) => {
      const p = path.join(h.dir, 'a', `${name}.sh`);
      writeFileSync(p, `#!/bin/sh\nset -e\n${body}\n`, { mode: 0o755 });
      return p;
    };
    // restart waits while a "hold" file exists: the test holds a restart to see `busy` (state, not time)
    const restart = script('restart', `while [ -e '${h.dir}/a/hold' ]; do sleep 0.05; done\necho restart >> '${marker()}'`);
    const stop = script('stop', `echo stop >> '${marker()}'`);
    const start = script('start', `echo start >> '${marker()}'\nip link show vxlan-77 >/dev/null 2>&1 || ip ${vx77.join(' ')}`);

    h.startRootRelay();
    h.startNsRelay(nsA);
    h.startNsRelay(nsR);
    const common = ['--type', 'linuxbridge', '--no-bum', '--interval', '300'];
    agentA = h.startAgent(nsA, [
      '--host',
      HOST_A,
      '--amqp',
      urls.get(HOST_A)!,
      '--ini',
      iniA(),
      '--status-file',
      statusOf(HOST_A),
      '--command-public-key',
      path.join(h.dir, 'worker.pem'),
      '--state-dir',
      path.join(h.dir, 'a', 'state'),
      '--restart-command',
      `sh '${restart}'`,
      '--stop-command',
      stop,
      '--start-command',
      start,
      ...common,
    ]);
    agentR = h.startAgent(nsR, ['--host', HOST_R, '--amqp', urls.get(HOST_R)!, '--ini', iniA(), '--status-file', statusOf(HOST_R), ...common]);
    for (const [host, p] of [
      [HOST_A, agentA],
      [HOST_R, agentR],
    ] as const)
      await until(
        `${host} listening for commands`,
        () => readStatus(host)?.commands?.listening === true || (p.child.exitCode !== null && 'exited'),
        60_000,
      ).then((v) => {
        if (v === 'exited') throw new Error(`agent ${host} exited:\n${p.lines.join('\n')}`);
      });
  });

  afterAll(async () => {
    if (agentA) console.log(`agent A log (last 40):\n${agentA.lines.slice(-40).join('\n')}`);
    await conn?.close().catch(() => undefined);
    await h?.cleanup();
    await vhost?.cleanup();
  });

  it('plans without changing anything', async () => {
    const { reply } = await send(command('plan', { change: { l2_population: false }, inPlace: false }));
    expect(reply.status, JSON.stringify(reply)).toBe('done');
    const plan = reply.result as AgentPlan;
    expect(plan).toMatchObject({
      agentType: 'linuxbridge',
      iniPath: iniA(),
      section: 'vxlan',
      before: { l2_population: true, arp_responder: true },
      after: { l2_population: false, arp_responder: true },
      service: { method: 'command', name: 'sh' },
      vxlanVnis: [77],
    });
    expect(plan.diff).toContain('-l2_population = true');
    expect(plan.diff).toContain('+l2_population = false');
    expect(plan.warnings.join(' ')).toMatch(/clean switch/);
    expect(readFileSync(iniA(), 'utf8')).toBe(INI);
    console.log(`plan: ${JSON.stringify(plan)}`);
  });

  it('set_mode edits the ini (one line) and keeps a backup; replies come from the agent user on reply.<host>', async () => {
    const c = command('set_mode', { job: 'job-1', change: { l2_population: false } });
    const { reply } = await send(c);
    expect(reply.status, JSON.stringify(reply)).toBe('done');
    const result = reply.result as { iniPath: string; backupPath: string; diff: string };
    const now = readFileSync(iniA(), 'utf8');
    expect(now).toBe(INI.replace('l2_population = true', 'l2_population = false'));
    expect(result.iniPath).toBe(iniA());
    expect(result.backupPath).toMatch(/linuxbridge_agent\.ini\.l2scope-job-1-\d{8}T\d{6}Z\.bak$/);
    expect(readFileSync(result.backupPath, 'utf8')).toBe(INI);
    expect(statSync(result.backupPath).mode & 0o777).toBe(0o640);
    expect(statSync(iniA()).mode & 0o777).toBe(0o640);
    const all = repliesOf(c.id);
    expect(all.map((g) => g.reply.status)).toEqual(['accepted', 'progress', 'progress', 'done']);
    expect(all.map((g) => g.reply.step ?? '-')).toEqual(['-', 'backup', 'write', '-']);
    for (const g of all) {
      expect(g.routingKey).toBe(COMMAND_WIRE.replyKey(HOST_A));
      expect(g.userId).toBe(nodeAgentUser(HOST_A));
      expect(g.schema).toBe(COMMAND_WIRE.replySchema);
      expect(g.reply).toMatchObject({ host: HOST_A, action: 'set_mode', job: 'job-1' });
    }
    console.log(`set_mode diff:\n${result.diff}`);
  });

  let restartBody: Buffer;
  it('restart_agent runs the restart command', async () => {
    const { body, reply } = await send(command('restart_agent', { job: 'job-1' }));
    restartBody = body;
    expect(reply.status, JSON.stringify(reply)).toBe('done');
    expect((reply.result as { ms: number }).ms).toBeGreaterThanOrEqual(0);
    expect(markerLines()).toEqual(['restart']);
  });

  it('recreate_vxlan stops the agent, deletes the listed vxlan devices present, starts it', async () => {
    const before = JSON.parse(await h.ip(nsA, '-j', 'link', 'show', 'vxlan-77')) as { ifindex: number }[];
    const { reply } = await send(command('recreate_vxlan', { job: 'job-1', vnis: [77, 78] }));
    expect(reply.status, JSON.stringify(reply)).toBe('done');
    expect((reply.result as { deleted: number[] }).deleted).toEqual([77]);
    const after = JSON.parse(await h.ip(nsA, '-j', 'link', 'show', 'vxlan-77')) as { ifindex: number }[];
    expect(after[0]!.ifindex).not.toBe(before[0]!.ifindex); // deleted, then made again by "the agent"
    expect(markerLines()).toEqual(['restart', 'stop', 'start']);
  });

  it('rollback restores the backup byte for byte and restarts', async () => {
    const { reply } = await send(command('rollback', { job: 'job-1', vnis: [] }));
    expect(reply.status, JSON.stringify(reply)).toBe('done');
    expect(readFileSync(iniA(), 'utf8')).toBe(INI);
    expect(statSync(iniA()).mode & 0o777).toBe(0o640);
    expect(markerLines()).toEqual(['restart', 'stop', 'start', 'restart']);
    const none = await send(command('rollback', { job: 'job-unknown', vnis: [] }));
    expect(none.reply).toMatchObject({ status: 'failed', detail: expect.stringMatching(/no backup for job job-unknown/) });
  });

  it('refuses a second command while one runs (busy)', async () => {
    writeFileSync(path.join(h.dir, 'a', 'hold'), '');
    const slow = command('restart_agent', { job: 'job-2' });
    publish(await sign(slow), HOST_A);
    await until('the slow restart accepted', () => repliesOf(slow.id).some((g) => g.reply.status === 'accepted'));
    const { reply } = await send(command('plan', { change: { arp_responder: false }, inPlace: true }));
    expect(reply).toMatchObject({ status: 'refused', reason: 'busy' });
    rmSync(path.join(h.dir, 'a', 'hold'));
    expect((await final(slow.id)).status).toBe('done');
  });

  it('refuses and records: bad signature, expired, replayed, other host, over-long lifetime, unknown action', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused = async (c: { id: string; host: string }, privateKey?: Parameters<typeof sign>[1]) => {
      const body = await sign(c, privateKey);
      publish(body, HOST_A); // all to A's queue: the host inside is what A checks
      return final(c.id);
    };
    expect(await refused(command('restart_agent', { job: 'job-3' }), otherKeys.privateKey)).toMatchObject({ status: 'refused', reason: 'bad_signature' });
    expect(await refused(command('restart_agent', { job: 'job-3' }, { issuedAt: now - 120, expiresAt: now - 90 }))).toMatchObject({
      status: 'refused',
      reason: 'expired',
    });
    expect(await refused(command('restart_agent', { job: 'job-3' }, { host: 'someone-else' }))).toMatchObject({ status: 'refused', reason: 'wrong_host' });
    expect(await refused(command('restart_agent', { job: 'job-3' }, { expiresAt: now + 3600 }))).toMatchObject({
      status: 'refused',
      reason: 'lifetime_too_long',
    });
    const unknown = command('exec', { argv: ['rm', '-rf', '/'] });
    publish(await sign(unknown), HOST_A);
    expect(await final(unknown.id)).toMatchObject({ status: 'refused', reason: 'invalid', action: null });
    // the restart of earlier, delivered again byte for byte
    const replayId = (JSON.parse(Buffer.from(restartBody.toString().split('.')[1]!, 'base64url').toString()) as { id: string }).id;
    const seen = repliesOf(replayId).length;
    publish(restartBody, HOST_A);
    const replayed = await until(
      'the replay refused',
      () =>
        repliesOf(replayId)
          .slice(seen)
          .find((g) => g.reply.status === 'refused')?.reply,
    );
    expect(replayed.reason).toBe('replayed');
    expect(markerLines().filter((l) => l === 'restart')).toHaveLength(3); // nothing ran for any of them

    const st = await until('the status file counts', () => {
      const s = readStatus(HOST_A)?.commands;
      return s && (s.refused.replayed ?? 0) >= 1 ? s : undefined;
    });
    expect(st.refused).toMatchObject({ bad_signature: 1, expired: 1, wrong_host: 1, lifetime_too_long: 1, invalid: 1, replayed: 1, busy: 1 });
    expect(st).toMatchObject({ readOnly: false, listening: true, failed: 1 });
    const log = agentA.lines.join('\n');
    for (const r of ['bad_signature', 'expired', 'wrong_host', 'lifetime_too_long', 'invalid', 'replayed', 'busy']) expect(log).toContain(`: ${r} (`);
    console.log(`agent A command counts: ${JSON.stringify(st)}`);
  });

  it('a restarted agent still refuses a command it accepted before the restart (replay cache on disk)', async () => {
    const c = command('plan', { change: { arp_responder: false }, inPlace: true }, { expiresAt: Math.floor(Date.now() / 1000) + 60 });
    const { body, reply } = await send(c);
    expect(reply.status).toBe('done');
    const args = agentA.child.spawnargs.slice(agentA.child.spawnargs.indexOf('--host'));
    expect((await h.stop(agentA)).code).toBe(0);
    rmSync(statusOf(HOST_A), { force: true });
    agentA = h.startAgent(nsA, args);
    await until('A listening again', () => readStatus(HOST_A)?.commands?.listening === true, 60_000);
    const seen = repliesOf(c.id).length;
    publish(body, HOST_A);
    const again = await until(
      'the replay after the restart',
      () =>
        repliesOf(c.id)
          .slice(seen)
          .find((g) => g.reply.status === 'refused')?.reply,
    );
    expect(again.reason).toBe('replayed');
  });

  it('an agent without a public key refuses every command (read_only) and records it', async () => {
    for (const action of ['plan', 'restart_agent']) {
      const c = command(action, action === 'plan' ? { change: { l2_population: true }, inPlace: false } : { job: 'job-r' }, { host: HOST_R });
      const { reply } = await send(c);
      expect(reply).toMatchObject({ status: 'refused', reason: 'read_only', commandId: c.id, host: HOST_R });
    }
    const r = got.filter((g) => g.reply.host === HOST_R);
    expect(r.every((g) => g.routingKey === COMMAND_WIRE.replyKey(HOST_R) && g.userId === nodeAgentUser(HOST_R))).toBe(true);
    const st = await until('R status counts', () => (readStatus(HOST_R)?.commands?.refused.read_only === 2 ? readStatus(HOST_R)!.commands : undefined));
    expect(st).toMatchObject({ readOnly: true, accepted: 0 });
    expect(agentR.lines.join('\n')).toContain('read-only');
  });

  it('the broker lets an agent bind its own queue with its own host only, and never publish commands', async () => {
    const c = await amqp.connect(urls.get(HOST_P)!);
    try {
      const own = COMMAND_WIRE.queue(HOST_P);
      const ok = await c.createChannel();
      await ok.assertQueue(own, { exclusive: true, durable: false, autoDelete: true });
      await ok.bindQueue(own, COMMAND_WIRE.exchange, HOST_P);
      await ok.consume(own, () => undefined);
      // refused by the broker (each closes its channel with 403 ACCESS_REFUSED)
      const refusal = async (what: string, f: (ch: Channel) => Promise<unknown>) => {
        const ch = await c.createChannel();
        ch.on('error', () => undefined);
        const closed = new Promise<void>((r) => ch.once('close', () => r()));
        await expect(f(ch), what).rejects.toThrow(/ACCESS_REFUSED|403/);
        await closed;
      };
      await refusal('bind another host', (ch) => ch.bindQueue(own, COMMAND_WIRE.exchange, HOST_A));
      await refusal('bind everything', (ch) => ch.bindQueue(own, COMMAND_WIRE.exchange, '#'));
      await refusal("declare another host's queue", (ch) => ch.assertQueue(COMMAND_WIRE.queue(HOST_A), { exclusive: true }));
      /** Publish on a confirm channel of its own: the broker's error that closed it, or null when confirmed. */
      const publishOn = async (exchange: string, key: string): Promise<string | null> => {
        const cc = await c.createConfirmChannel();
        let error: string | null = null;
        cc.on('error', (e: Error) => {
          error = e.message;
        });
        const closed = new Promise<void>((r) => cc.once('close', () => r()));
        cc.publish(exchange, key, Buffer.from('{}'), { userId: nodeAgentUser(HOST_P) });
        const confirmed = await cc.waitForConfirms().then(
          () => true,
          () => false,
        );
        if (confirmed) {
          await cc.close();
          return null;
        }
        await closed;
        return error ?? 'closed';
      };
      expect(await publishOn(COMMAND_WIRE.exchange, HOST_P)).toMatch(/ACCESS_REFUSED|403/);
      expect(await publishOn(NODE_AGENT_WIRE.exchange, COMMAND_WIRE.replyKey(HOST_A))).toMatch(/ACCESS_REFUSED|403/);
      expect(await publishOn(NODE_AGENT_WIRE.exchange, COMMAND_WIRE.replyKey(HOST_P))).toBeNull();
    } finally {
      await c.close().catch(() => undefined);
    }
  });
});
