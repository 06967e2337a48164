/**
 * `l2scope toggle`: switch l2_population / arp_responder on hosts through the dashboard's API,
 * as a script would (docs/toggles.md#from-the-dashboard-and-the-cli): plan, print the plan, ask
 * (unless `--yes`), approve, follow the jobs until they end. Exit 0 when every job is `done`, 1
 * otherwise, 2 for a bad command line.
 *
 * Authentication: a token made by `l2scope user token <name>`, sent as `Authorization: Bearer`
 * (Better Auth's bearer plugin); mutations carry the dashboard's own `Origin`. Approving needs the
 * user's password when the token is older than 5 minutes (always, in practice): from
 * `L2SCOPE_PASSWORD`, or asked on the terminal (docs/auth.md#tokens).
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCClientError, createTRPCUntypedClient, httpLink } from '@trpc/client';
import { type ToggleJobView, toggleJobViewSchema } from '@l2scope/domain';
import { z } from 'zod';
import {
  type ToggleOptions,
  type ToggleRequest,
  UsageError,
  applicable,
  describeChange,
  formatPlan,
  outcome,
  parseToggleOptions,
  plansArrived,
  progressLines,
} from './toggle-args';

/** How often the jobs are read while waiting (the CLI has no live socket). */
const POLL_MS = 1_000;

const jobs = z.array(toggleJobViewSchema);
const advanced = z.object({ approved: jobs, skipped: z.array(z.object({ id: z.string(), reason: z.string() })) });

type Client = ReturnType<typeof makeClient>;

function makeClient(r: ToggleRequest) {
  const trpc = createTRPCUntypedClient({
    links: [httpLink({ url: `${r.url}/api/trpc`, headers: () => ({ authorization: `Bearer ${r.token}`, origin: r.url }) })],
  });
  return {
    plan: async () => jobs.parse(await trpc.mutation('toggle.plan', { ...r.target, change: r.change, inPlace: r.inPlace })),
    approve: async (ids: string[], password?: string) =>
      advanced.parse(await trpc.mutation('toggle.approve', { jobIds: ids, ...(password ? { password } : {}) })),
    cancel: async (ids: string[]) => trpc.mutation('toggle.cancel', { jobIds: ids }),
    get: async (ids: string[]) => Promise.all(ids.map(async (id) => toggleJobViewSchema.parse(await trpc.query('jobs.get', { id })))),
  };
}

function stepUpRequired(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { reason?: unknown } | undefined)?.reason === 'STEP_UP_REQUIRED';
}

/** Ask a question on the terminal; `hidden` does not echo the answer (passwords). */
async function ask(question: string, hidden = false): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const answer = rl.question(question);
  muted = hidden;
  try {
    return await answer;
  } finally {
    rl.close();
    if (hidden) process.stderr.write('\n');
  }
}

/** Read the jobs until `done(jobs)` or the deadline; prints progress when `print`. */
async function follow(client: Client, ids: string[], deadline: number, until: (jobs: ToggleJobView[]) => boolean, print: boolean): Promise<ToggleJobView[]> {
  const seen = new Map<string, ToggleJobView>();
  for (;;) {
    const now = await client.get(ids);
    for (const j of now) {
      if (print) for (const l of progressLines(seen.get(j.id), j)) console.log(l);
      seen.set(j.id, j);
    }
    if (until(now)) return now;
    if (Date.now() > deadline) throw new Error('timed out waiting for the jobs');
    await sleep(POLL_MS);
  }
}

/**
 * Run the command.
 * @returns the exit code: 0 every job done (or, with `--plan`, every plan applicable), 1 otherwise, 2 usage
 */
export async function toggleCommand(o: ToggleOptions, env: Record<string, string | undefined> = process.env): Promise<number> {
  let r: ToggleRequest;
  try {
    r = parseToggleOptions(o, env);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`l2scope toggle: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const client = makeClient(r);
  const deadline = Date.now() + r.timeoutS * 1000;

  try {
    const created = await client.plan();
    const ids = created.map((j) => j.id);
    console.error(`planned ${describeChange(r.change)} on ${created.map((j) => j.host).join(', ')}: waiting for the agents' dry runs…`);
    const planned = await follow(client, ids, Math.min(deadline, Date.now() + 120_000), (js) => plansArrived(js), false);
    for (const l of formatPlan(planned)) console.log(l);
    if (!applicable(planned)) {
      console.error('the plan cannot be applied; the jobs are cancelled');
      await client.cancel(ids);
      return 1;
    }
    if (r.planOnly) {
      await client.cancel(ids);
      console.error('plan only (--plan): the jobs are cancelled, nothing was changed');
      return 0;
    }
    if (!r.yes) {
      if (!process.stdin.isTTY) {
        await client.cancel(ids);
        console.error('not a terminal: pass --yes to apply without asking (the jobs are cancelled)');
        return 1;
      }
      const answer = (await ask(`apply to ${planned.length} host(s)? [y/N] `)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') {
        await client.cancel(ids);
        console.error('not applied; the jobs are cancelled');
        return 1;
      }
    }
    let password = env.L2SCOPE_PASSWORD || undefined;
    let res;
    try {
      res = await client.approve(ids, password);
    } catch (err) {
      if (!stepUpRequired(err) || password || !process.stdin.isTTY) {
        if (stepUpRequired(err) && !password) console.error('the password is required: set L2SCOPE_PASSWORD or run on a terminal');
        throw err;
      }
      password = await ask('password: ', true);
      res = await client.approve(ids, password);
    }
    for (const s of res.skipped) console.error(`not approved: ${s.id}: ${s.reason}`);
    const end = await follow(client, ids, deadline, (js) => outcome(js, Date.now()).over, true);
    const o = outcome(end, Date.now());
    const code = o.over ? o.code : 1;
    console.error(code === 0 ? 'every job done' : `not every job is done: ${end.map((j) => `${j.host} ${j.state}`).join(', ')}`);
    return code;
  } catch (err) {
    console.error(`l2scope toggle: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
