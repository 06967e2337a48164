/**
 * The agent's replay cache: the ids of the commands it accepted, each kept until its `expiresAt`
 * plus the clock skew (after that the command is refused `expired` anyway), capped in size, and
 * persisted to a small JSON file in the state directory so that a restart of the agent within a
 * command's lifetime cannot replay it. A full cache (every entry still live) refuses new ids
 * rather than forgetting live ones.
 */
import { z } from 'zod';
import { COMMAND_CLOCK_SKEW_S } from '@l2scope/domain';
import { readBounded, writeFileAtomic } from './atomic';

/** Default cap of the cache (live ids). Commands run one at a time and live 60 s: far above need. */
export const REPLAY_CACHE_MAX = 10_000;

const fileSchema = z.object({ schema: z.literal('l2scope.agent-replay-cache/1'), ids: z.record(z.string().max(64), z.number().int()) });

/** Ids of accepted commands, with their forget time (epoch seconds). */
export class ReplayCache {
  private readonly ids = new Map<string, number>();

  /**
   * @param file the JSON file (`<state-dir>/replay-cache.json`); null keeps it in memory only
   * @param max the most live ids held
   */
  constructor(
    readonly file: string | null,
    readonly max = REPLAY_CACHE_MAX,
  ) {}

  /**
   * Load the file (a missing one is an empty cache); entries past their time are dropped.
   * @throws Error when the file exists but is unreadable or not a replay cache (the agent must not
   *   start with a cache it cannot trust: a replay would pass)
   */
  async load(nowS: number): Promise<void> {
    if (!this.file) return;
    const text = await readBounded(this.file, 4 * 1024 * 1024);
    if (text === null) return;
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.file}: not an l2scope replay cache`);
    for (const [id, until] of Object.entries(parsed.data.ids)) if (until >= nowS) this.ids.set(id, until);
    this.prune(nowS);
  }

  /** Whether `id` was accepted before (and is still remembered). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** How many ids are held. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * Remember `id` until `expiresAtS` + skew (synchronously: a second delivery of the same id right
   * after is already `has`). Then {@link persist} before the command runs.
   * @returns false when the cache is full of live ids (the caller refuses the command)
   */
  remember(id: string, expiresAtS: number, nowS: number): boolean {
    this.prune(nowS);
    if (this.ids.size >= this.max) return false;
    this.ids.set(id, expiresAtS + COMMAND_CLOCK_SKEW_S);
    return true;
  }

  /** Write the file (atomically). @throws the file system's error (the caller refuses the command) */
  async persist(): Promise<void> {
    if (this.file)
      await writeFileAtomic(this.file, `${JSON.stringify({ schema: 'l2scope.agent-replay-cache/1', ids: Object.fromEntries(this.ids) })}\n`, 0o600);
  }

  private prune(nowS: number): void {
    for (const [id, until] of this.ids) if (until < nowS) this.ids.delete(id);
  }
}
