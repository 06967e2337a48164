/**
 * A TCP proxy the test owns, between a client under test and a real server (e.g. the worker and
 * PostgreSQL on 127.0.0.1:5432), to simulate the server becoming unreachable without touching the
 * server itself (other suites and engineers share it): `cut()` resets every proxied connection
 * and refuses new ones (as a dead host or a firewall would look to the client), `restore()` accepts
 * again. Listens on a free port of 127.0.0.1.
 */
import net from 'node:net';

export interface TcpProxy {
  /** The port clients connect to (127.0.0.1). */
  port: number;
  /** Connections proxied so far. */
  readonly accepted: number;
  /** Reset every open connection and refuse new ones until {@link TcpProxy.restore}. */
  cut(): void;
  /** Accept and proxy new connections again. */
  restore(): void;
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

/** Start a proxy to `target` (host and port). Resolves once it listens. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
