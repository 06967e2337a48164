/**
 * Commands to node agents, as the toggle runner sends them (docs/toggles.md): each signed
 * (CommandSigner), published on the agent's command queue (CommandSink), and waited on until the
 * agent's final reply on `reply.<host>` (`done`, `refused`, `failed`) or a timeout; `accepted` and
 * `progress` replies are kept as progress lines. An agent's `busy` refusal is retried with a newly
 * signed command (new id).
 */
import type { AgentCommand, AgentCommandAction, CommandReply } from '@l2scope/domain';
import type { CommandSink } from './publisher';
import type { CommandSigner } from './signer';

/** Thrown to a command still waiting when the worker stops. */
export class Stopped extends Error {}

/** An agent's `refused` reply. */
class Refused extends Error {
  constructor(
    message: string,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

/** Longest pause before re-sending a command the agent refused `busy` (ms). */
const BUSY_PAUSE_MAX_MS = 8_000;

interface Waiter {
  host: string;
  action: AgentCommandAction;
  resolve: (r: CommandReply) => void;
  reject: (e: Error) => void;
  progress: string[];
}

/** Sends commands to agents and routes their replies to the command waiting for each. */
export class AgentCommands {
  private readonly waiters = new Map<string, Waiter>();
  private stopped = false;

  constructor(
    private readonly signer: CommandSigner,
    private readonly sink: CommandSink,
  ) {}

  /** A validated, identity-checked reply from `reply.<host>`: routed to the command waiting for it (others are ignored). */
  onReply(reply: CommandReply): void {
    const w = this.waiters.get(reply.commandId);
    if (!w || w.host !== reply.host) return;
    if (reply.status === 'accepted' || reply.status === 'progress') {
      if (w.progress.length < 100)
        w.progress.push(`${reply.status}${reply.step ? ` ${reply.step}` : ''}${reply.detail ? `: ${reply.detail}` : ''}`.slice(0, 1024));
      return;
    }
    this.waiters.delete(reply.commandId);
    if (reply.status === 'done') w.resolve(reply);
    else if (reply.status === 'refused')
      w.reject(new Refused(`${w.action} refused by the agent: ${reply.reason ?? 'no reason'}${reply.detail ? ` (${reply.detail})` : ''}`, reply.reason));
    else w.reject(new Error(`${w.action} failed on the agent: ${reply.detail ?? 'no detail'}`));
  }

  /** Reject every command still waiting with {@link Stopped}; later sends throw it at once. */
  stop(): void {
    this.stopped = true;
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w.reject(new Stopped('worker stopping'));
    }
  }

  /**
   * Sign, publish and wait for the agent's final reply (`done`), else throw why; all within
   * `timeoutMs`. A `busy` refusal (the agent runs another command) is retried after a pause
   * (1 s, doubling, at most {@link BUSY_PAUSE_MAX_MS}) with a newly signed command: the agent
   * keeps a refused id in its replay cache, so the refused command can never run later (a copy
   * replayed after the worker moved on), and the worker never re-sends an id.
   * @returns the final reply and the progress lines (with one line per busy retry)
   */
  async send<A extends AgentCommandAction>(
    host: string,
    action: A,
    params: Extract<AgentCommand, { action: A }>['params'],
    timeoutMs: number,
  ): Promise<{ reply: CommandReply; progress: string[] }> {
    const end = Date.now() + timeoutMs;
    const progress: string[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.sendOnce(host, action, params as never, Math.max(0, end - Date.now()), progress);
        return { reply, progress };
      } catch (err) {
        if (!(err instanceof Refused) || err.reason !== 'busy' || this.stopped) throw err;
        const pause = Math.min(1000 * 2 ** attempt, BUSY_PAUSE_MAX_MS);
        if (Date.now() + pause >= end) throw err;
        progress.push(`refused busy: ${err.message.slice(0, 300)}; a new command in ${pause / 1000} s`);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  /** One signed command: publish, wait for its final reply within `timeoutMs`. */
  private async sendOnce<A extends AgentCommandAction>(
    host: string,
    action: A,
    params: Extract<AgentCommand, { action: A }>['params'],
    timeoutMs: number,
    progress: string[],
  ): Promise<CommandReply> {
    if (this.stopped) throw new Stopped('worker stopping');
    const { command, jws } = await this.signer.sign(host, action, params as never);
    const done = new Promise<CommandReply>((resolve, reject) => {
      this.waiters.set(command.id, { host, action, resolve, reject, progress });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.sink.publish(host, command.id, jws);
      return await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no reply from ${host} to ${action} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(command.id);
      done.catch(() => {});
    }
  }
}
