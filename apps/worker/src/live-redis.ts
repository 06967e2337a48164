/**
 * Live updates shared between instances (docs/operations.md#redis): socket.io's Redis adapter
 * (`@socket.io/redis-adapter`, over node-redis) on the live server, so that a `model`, `messages`,
 * `nodes`, `stats` or `toggle` event emitted by the active worker reaches the browsers connected
 * to any worker (active or standby) on the same Redis and key prefix. Each instance keeps its own
 * sockets; Redis only carries the broadcasts (pub/sub on `<key>#/#` channels).
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server } from 'socket.io';
import { redactUrl } from '@l2scope/domain';

/** Default Redis key prefix of the live channels (`--redis-key`): one per l2scope deployment sharing a Redis. */
export const LIVE_REDIS_KEY = 'l2scope.live';

/** Options of {@link attachRedisAdapter}. */
export interface LiveRedisOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Channel prefix (default {@link LIVE_REDIS_KEY}). */
  key?: string;
  log?: (line: string) => void;
}

/**
 * Connect a publishing and a subscribing client to Redis and make them `io`'s adapter.
 * node-redis reconnects by itself (errors are logged, never thrown): while Redis is away,
 * broadcasts reach only this instance's sockets.
 * @returns a function that disconnects both clients
 * @throws when Redis cannot be reached at start (a misconfigured URL fails fast)
 */
export async function attachRedisAdapter(io: Server, opts: LiveRedisOptions): Promise<() => Promise<void>> {
  const log = opts.log ?? (() => {});
  const pub = createClient({ url: opts.url });
  const sub = pub.duplicate();
  let reported = false;
  for (const c of [pub, sub])
    c.on('error', (err: Error) => {
      if (!reported) log(`live: redis ${redactUrl(opts.url)}: ${err.message} (reconnecting)`);
      reported = true;
    });
  for (const c of [pub, sub]) c.on('ready', () => (reported = false));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: opts.key ?? LIVE_REDIS_KEY }));
  log(`live: sharing live updates through redis ${redactUrl(opts.url)} (key ${opts.key ?? LIVE_REDIS_KEY})`);
  return async () => {
    await Promise.all([pub, sub].map((c) => c.close().catch(() => {})));
  };
}
