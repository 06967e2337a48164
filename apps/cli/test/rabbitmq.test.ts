/**
 * `l2scope rabbitmq print`: the printed commands, run as printed (bash, rabbitmqctl, root) on a
 * fresh vhost of the real broker, give the users the documented powers: an agent publishes on
 * its own routing keys and is refused another host's; it cannot declare exchanges; it binds its
 * own command queue with its own host only and cannot publish commands; the worker user declares
 * `l2scope.node` and `l2scope.command`. Users and vhost are removed after.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { AMQP_HOST } from '@l2scope/testkit';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const run = (args: string[]) =>
  execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, '../src/main.ts'), ...args], { encoding: 'utf8', cwd: root });
const sh = promisify(execFile);

const id = randomBytes(3).toString('hex');
const vhost = `l2scope-cli-${id}`;
const worker = `l2scope-cli-worker-${id}`;
const hostA = `hv-a-${id}.cli.test`;
const hostB = `hv-b-${id}.cli.test`;
const env = {
  ...process.env,
  L2SCOPE_WORKER_PASSWORD: 'w0rker',
  [`L2SCOPE_AGENT_PASSWORD_${hostA.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`]: 'agentA',
  [`L2SCOPE_AGENT_PASSWORD_${hostB.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`]: 'agentB',
};
const url = (user: string, pw: string) => `amqp://${encodeURIComponent(user)}:${pw}@${AMQP_HOST}/${encodeURIComponent(vhost)}`;

afterAll(async () => {
  await sh('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => {});
  for (const u of [worker, `l2scope-agent-${hostA}`, `l2scope-agent-${hostB}`]) await sh('rabbitmqctl', ['-q', 'delete_user', u]).catch(() => {});
});

describe('l2scope rabbitmq print', () => {
  const out = run(['rabbitmq', 'print', '--vhost', vhost, '--host', hostA, hostB, '--worker-user', worker]);

  it('prints the worker, one user per agent with its topic permissions and its command queue', () => {
    const esc = hostA.replace(/\./g, '\\.');
    expect(out).toContain(`rabbitmqctl set_topic_permissions -p '${vhost}' 'l2scope-agent-${hostA}' 'l2scope.node' '^(snapshot|bum|reply)\\.${esc}$' '^$'`);
    expect(out).toContain(`rabbitmqctl set_topic_permissions -p '${vhost}' 'l2scope-agent-${hostA}' 'l2scope.command' '^$' '^${esc}$'`);
    const q = `l2scope\\.command\\.${esc}`;
    expect(out).toContain(`rabbitmqctl set_permissions -p '${vhost}' 'l2scope-agent-${hostA}' '^${q}$' '^(l2scope\\.node|${q})$' '^(l2scope\\.command|${q})$'`);
    expect(out).not.toMatch(/reserved/);
  });

  it('gives, run as printed, exactly the documented powers', { timeout: 180_000 }, async () => {
    const script = out
      .split('\n')
      .filter((l) => l.startsWith('rabbitmqctl '))
      .join('\n');
    await sh('bash', ['-euc', script], { env, timeout: 120_000 });

    // the worker declares l2scope.node
    const w = await amqp.connect(url(worker, 'w0rker'));
    const wch = await w.createChannel();
    await wch.assertExchange('l2scope.node', 'topic', { durable: true });
    await wch.assertExchange('l2scope.command', 'topic', { durable: true });
    const wc = await w.createConfirmChannel();
    wc.publish('l2scope.command', hostA, Buffer.from('x'));
    await wc.waitForConfirms(); // the worker may publish commands
    await w.close();

    const a = await amqp.connect(url(`l2scope-agent-${hostA}`, 'agentA'));
    try {
      const publish = async (key: string) => {
        const ch = await a.createConfirmChannel();
        ch.on('error', () => {});
        return new Promise<boolean>((resolve) => {
          ch.once('close', () => resolve(false));
          ch.publish('l2scope.node', key, Buffer.from('{}'), { userId: `l2scope-agent-${hostA}` }, (err) => {
            if (err) return;
            resolve(true);
            void ch.close().catch(() => {});
          });
        });
      };
      expect(await publish(`snapshot.${hostA}`)).toBe(true);
      expect(await publish(`bum.${hostA}`)).toBe(true);
      expect(await publish(`reply.${hostA}`)).toBe(true);
      expect(await publish(`snapshot.${hostB}`)).toBe(false);
      expect(await publish(`reply.${hostB}`)).toBe(false);
      // its own command queue, bound with its own host only
      const own = `l2scope.command.${hostA}`;
      const qch = await a.createChannel();
      await qch.assertQueue(own, { exclusive: true });
      await qch.bindQueue(own, 'l2scope.command', hostA);
      await qch.consume(own, () => {});
      const refused = async (f: (ch: amqp.Channel) => Promise<unknown>) => {
        const ch = await a.createChannel();
        ch.on('error', () => {});
        await expect(f(ch)).rejects.toThrow(/ACCESS_REFUSED|403/);
      };
      await refused((ch) => ch.bindQueue(own, 'l2scope.command', hostB));
      await refused((ch) => ch.bindQueue(own, 'l2scope.command', '#'));
      await refused((ch) => ch.assertQueue(`l2scope.command.${hostB}`, { exclusive: true }));
      const cc = await a.createConfirmChannel();
      cc.on('error', () => {});
      cc.publish('l2scope.command', hostA, Buffer.from('x'));
      await expect(cc.waitForConfirms()).rejects.toThrow();
      const ch = await a.createChannel();
      ch.on('error', () => {});
      await ch.checkExchange('l2scope.node'); // passive: allowed
      const ch2 = await a.createChannel();
      ch2.on('error', () => {});
      await expect(ch2.assertExchange('l2scope.node', 'topic', { durable: true })).rejects.toThrow(/ACCESS_REFUSED|403/);
    } finally {
      await a.close().catch(() => {});
    }
  });
});
