/**
 * The broker side of the lab (docs/lab.md#broker, docs/lab.md#amqp-relay): the machine's RabbitMQ (or `--amqp URL`) and the
 * socat relays that bring it into the host namespaces without any interface in the root one:
 * root ns `UNIX-LISTEN:<sock> -> TCP:<broker>`, and per host `TCP-LISTEN:127.0.0.1:5672 -> UNIX-CONNECT:<sock>`.
 */
import { createConnection } from 'node:net';
import { mkdirSync } from 'node:fs';
import { run, waitFor } from './exec';
import { LAB_RUN, paths } from './paths';
import { isRunning, startDaemon, type ProcRecord } from './procs';

/** Host and port of an `amqp://` URL (default port 5672). */
export function amqpEndpoint(amqpUrl: string): { host: string; port: number } {
  const u = new URL(amqpUrl);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5672) };
}

/** Whether a TCP connection to host:port succeeds within `timeoutMs`. */
export function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Make sure the broker answers. For the machine's own RabbitMQ on loopback that is down, start it
 * the machine's way (`rabbitmq-server -detached`, docs/lab.md#broker): it is a machine service, not the
 * lab's, so the lab never stops it.
 * @throws Error when the broker is not reachable within 60 s
 */
export async function ensureBroker(amqpUrl: string, log: (s: string) => void): Promise<void> {
  const { host, port } = amqpEndpoint(amqpUrl);
  if (await tcpReachable(host, port)) return;
  if ((host === '127.0.0.1' || host === 'localhost') && port === 5672) {
    log("RabbitMQ is not answering on 127.0.0.1:5672: starting the machine's rabbitmq-server -detached");
    await run('rabbitmq-server', ['-detached'], { allowFail: true });
  }
  await waitFor(`RabbitMQ at ${host}:${port}`, async () => ((await tcpReachable(host, port)) ? true : undefined), 60_000, 500);
}

/** Start the root-namespace relay (unix socket -> broker) unless its recorded process still runs. */
export async function ensureRootRelay(amqpUrl: string, rec: ProcRecord | undefined): Promise<ProcRecord> {
  if (rec && isRunning(rec)) return rec;
  mkdirSync(LAB_RUN, { recursive: true });
  const { host, port } = amqpEndpoint(amqpUrl);
  return startDaemon(['socat', `UNIX-LISTEN:${paths.amqpSock},fork,unlink-early`, `TCP:${host}:${port}`], paths.log('relay-root'));
}

/** Start a host namespace's relay (its 127.0.0.1:5672 -> the unix socket). */
export async function ensureHostRelay(ns: string, host: string, rec: ProcRecord | undefined): Promise<ProcRecord> {
  if (rec && isRunning(rec)) return rec;
  const r = await startDaemon(
    ['ip', 'netns', 'exec', ns, 'socat', 'TCP-LISTEN:5672,bind=127.0.0.1,fork,reuseaddr', `UNIX-CONNECT:${paths.amqpSock}`],
    paths.log(`relay-${host}`),
  );
  return r;
}
