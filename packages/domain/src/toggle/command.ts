/**
 * Agent commands: what the worker may ask a node agent to do on its hypervisor to switch
 * `l2_population` / `arp_responder` (the admin toggles, docs/toggles.md), and what the agent
 * answers. This module is the contract both sides build on; it is pure (no clock, no I/O, no
 * crypto): the worker signs a command's JSON as a compact JWS (EdDSA, Ed25519) and the agent
 * verifies the signature with the public key given at install before anything here runs.
 *
 * Wire ({@link COMMAND_WIRE}): the worker alone publishes on l2scope's own topic exchange
 * `l2scope.command` (never one of Neutron's) with routing key `<host>`; each agent consumes its own
 * queue `l2scope.command.<host>`, bound with its own host name only (its RabbitMQ topic permission
 * allows no other key). The body is the compact JWS text. Replies and progress travel back on
 * `l2scope.node` with routing key `reply.<host>` under the agent's per-host RabbitMQ user
 * (`user_id` checked as for snapshots), body a {@link CommandReply}.
 *
 * The agent refuses (and records why, {@link COMMAND_REFUSAL_REASONS}) anything that is not: a
 * valid signature, a well-formed {@link AgentCommand} of an allowlisted action, for its own host,
 * issued no more than {@link COMMAND_MAX_LIFETIME_S} before it expires, not expired, and an `id`
 * never seen before (replay cache). Free-form commands do not exist: the actions are a fixed list.
 */
import { z } from 'zod';

/** The signed commands' exchange: topic, durable, declared by the worker; only the worker may publish. */
export const COMMAND_EXCHANGE_NAME = 'l2scope.command';

/** Longest lifetime of a command: `expiresAt - issuedAt` <= 60 s. */
export const COMMAND_MAX_LIFETIME_S = 60;

/** Clock skew tolerated between worker and agent when checking `issuedAt` / `expiresAt` (seconds). */
export const COMMAND_CLOCK_SKEW_S = 5;

/**
 * The AMQP contract of agent commands and replies.
 * - `exchange`: `l2scope.command` (topic, durable; the worker declares it and alone may write).
 * - `queue(host)`: the agent's own queue `l2scope.command.<host>` (declared by the agent:
 *   configure permission on exactly that name), bound with `routingKey(host)` = `<host>`.
 * - replies: on `l2scope.node` with `replyKey(host)` = `reply.<host>`; the worker binds `reply.#`.
 * - headers: `x-l2scope-schema` = `l2scope.command/1` (commands) or `l2scope.command-reply/1`.
 */
export const COMMAND_WIRE = {
  exchange: COMMAND_EXCHANGE_NAME,
  exchangeType: 'topic',
  exchangeOptions: { durable: true, autoDelete: false },
  queue: (host: string) => `${COMMAND_EXCHANGE_NAME}.${host}`,
  routingKey: (host: string) => host,
  replyKey: (host: string) => `reply.${host}`,
  replyBinding: 'reply.#',
  schemaHeader: 'x-l2scope-schema',
  commandSchema: 'l2scope.command/1',
  replySchema: 'l2scope.command-reply/1',
} as const;

/** A host's `reply.<host>` routing key split; null for any other key. */
export function parseReplyRoutingKey(routingKey: string): { host: string } | null {
  return routingKey.startsWith('reply.') && routingKey.length > 'reply.'.length ? { host: routingKey.slice('reply.'.length) } : null;
}

/** The two agent settings a toggle switches; an absent key is left as it is. */
export const modeChangeSchema = z
  .object({ l2_population: z.boolean().optional(), arp_responder: z.boolean().optional() })
  .strict()
  .refine((m) => m.l2_population !== undefined || m.arp_responder !== undefined, { message: 'a mode change sets l2_population, arp_responder or both' });
/** `{l2_population?, arp_responder?}`: the target values (at least one). */
export type ModeChange = z.infer<typeof modeChangeSchema>;

const jobId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/, 'a job id is letters, digits, "_", "." or "-"');
const vni = z.number().int().min(1).max(16_777_215);

/**
 * The allowlisted actions and their params (nothing else is ever executed):
 * - `plan` `{change, inPlace}`: dry run; the agent answers what it would do (ini path and diff,
 *   section, restart method, deployment-tool warnings) and changes nothing.
 * - `set_mode` `{job, change}`: edit the agent ini (atomic write, timestamped backup tagged with
 *   the job) so the Neutron agent starts in the new mode; does not restart.
 * - `restart_agent` `{job}`: restart the Neutron L2 agent (systemd unit, kolla container, or the
 *   restart command given at install).
 * - `recreate_vxlan` `{job, vnis}`: stop the Linux bridge agent, delete `vxlan-<VNI>` for each VNI,
 *   start it (it recreates them in the mode of its ini): the clean switch.
 * - `rollback` `{job, vnis}`: restore the ini backup `set_mode` took for `job`, then as
 *   `recreate_vxlan` (Linux bridge, `vnis` non-empty) or `restart_agent`.
 */
export const AGENT_COMMAND_ACTIONS = ['plan', 'set_mode', 'restart_agent', 'recreate_vxlan', 'rollback'] as const;
/** One of {@link AGENT_COMMAND_ACTIONS}. */
export type AgentCommandAction = (typeof AGENT_COMMAND_ACTIONS)[number];

const header = {
  /** Unique per command (a UUID); the agent refuses an id it has seen (replay). */
  id: z.string().min(8).max(64),
  /** The Neutron host name the command is for; the agent refuses any other. */
  host: z.string().min(1).max(255),
  /** Seconds since the epoch (worker clock). */
  issuedAt: z.number().int().nonnegative(),
  /** Seconds since the epoch; at most {@link COMMAND_MAX_LIFETIME_S} after `issuedAt`. */
  expiresAt: z.number().int().nonnegative(),
};

/** A command as signed by the worker (the JWS payload), validated by the agent after the signature. */
export const agentCommandSchema = z.discriminatedUnion('action', [
  z.object({ ...header, action: z.literal('plan'), params: z.object({ change: modeChangeSchema, inPlace: z.boolean() }).strict() }).strict(),
  z.object({ ...header, action: z.literal('set_mode'), params: z.object({ job: jobId, change: modeChangeSchema }).strict() }).strict(),
  z.object({ ...header, action: z.literal('restart_agent'), params: z.object({ job: jobId }).strict() }).strict(),
  z.object({ ...header, action: z.literal('recreate_vxlan'), params: z.object({ job: jobId, vnis: z.array(vni).max(4096) }).strict() }).strict(),
  z.object({ ...header, action: z.literal('rollback'), params: z.object({ job: jobId, vnis: z.array(vni).max(4096) }).strict() }).strict(),
]);
/** A validated command. */
export type AgentCommand = z.infer<typeof agentCommandSchema>;

/**
 * Why an agent refused a command: `read_only` (the agent has no public key: it refuses every
 * command), `bad_signature` (not a compact JWS, wrong algorithm, or not signed by the worker's
 * key), `invalid` (payload not an {@link AgentCommand}: unknown action, extra fields, bad params),
 * `wrong_host` (for another host), `expired`, `not_yet_valid` (issued in the future beyond the
 * skew), `lifetime_too_long` (`expiresAt - issuedAt` over 60 s), `replayed` (id seen before),
 * `busy` (another command of a job is running), `failed` is not a refusal (see {@link CommandReply}).
 */
export const COMMAND_REFUSAL_REASONS = [
  'read_only',
  'bad_signature',
  'invalid',
  'wrong_host',
  'expired',
  'not_yet_valid',
  'lifetime_too_long',
  'replayed',
  'busy',
] as const;
/** One of {@link COMMAND_REFUSAL_REASONS}. */
export type CommandRefusalReason = (typeof COMMAND_REFUSAL_REASONS)[number];

/**
 * The checks after signature and schema, in this order: host, lifetime, not before, expiry, replay.
 * @param cmd the validated command
 * @param self the agent's own host name
 * @param nowS the agent's clock, seconds since the epoch
 * @param seen whether the id was seen before (the caller's replay cache; it records the id only
 *   when this returns null)
 * @returns null when the command may run, else the refusal reason
 */
export function checkAgentCommand(cmd: AgentCommand, self: string, nowS: number, seen: (id: string) => boolean): CommandRefusalReason | null {
  if (cmd.host !== self) return 'wrong_host';
  if (cmd.expiresAt - cmd.issuedAt > COMMAND_MAX_LIFETIME_S || cmd.expiresAt < cmd.issuedAt) return 'lifetime_too_long';
  if (cmd.issuedAt > nowS + COMMAND_CLOCK_SKEW_S) return 'not_yet_valid';
  if (nowS > cmd.expiresAt + COMMAND_CLOCK_SKEW_S) return 'expired';
  if (seen(cmd.id)) return 'replayed';
  return null;
}

/** The agent's settings as the ini says (`null`: the key is absent, so Neutron's default applies). */
export const iniModeSchema = z.object({ l2_population: z.boolean().nullable(), arp_responder: z.boolean().nullable() });
/** `{l2_population, arp_responder}` as the ini holds them (null: absent). */
export type IniMode = z.infer<typeof iniModeSchema>;

/**
 * What the agent found out about how its Neutron agent runs: `systemd` (unit name), `kolla`
 * (container name; the config under `/etc/kolla/<service>/` is regenerated by kolla-ansible), or
 * `command` (the restart command given at install, as in the lab).
 */
export const agentServiceSchema = z.object({
  method: z.enum(['systemd', 'kolla', 'command']),
  /** unit, container, or the command's first word */
  name: z.string().max(512),
});

/** The `plan` answer: what the agent would do, nothing done. */
export const agentPlanSchema = z.object({
  agentType: z.enum(['linuxbridge', 'openvswitch']),
  iniPath: z.string().max(4096),
  /** `[vxlan]` for Linux bridge, `[agent]` for Open vSwitch */
  section: z.string().max(64),
  before: iniModeSchema,
  after: iniModeSchema,
  /** unified diff of the ini (a few lines) */
  diff: z.string().max(65_536),
  service: agentServiceSchema,
  /** `vxlan-<VNI>` devices present now (Linux bridge): what a clean switch deletes */
  vxlanVnis: z.array(z.number().int()).max(4096),
  /** deployment-tool and other warnings, as sentences (e.g. the kolla-ansible reconfigure revert) */
  warnings: z.array(z.string().max(2048)).max(32),
});
/** The `plan` answer. */
export type AgentPlan = z.infer<typeof agentPlanSchema>;

/**
 * The agent's answer to one command, on `reply.<host>`: `refused` (with `reason`), `accepted`
 * (checks passed, running), `progress` (a step done: `step`, `detail`), `done` (with `result`), or
 * `failed` (ran but did not succeed: `detail`). One command gets `refused`, or `accepted` then any
 * `progress` then `done` | `failed`.
 */
export const commandReplySchema = z
  .object({
    /** the command's id; for a command that could not be read at all, `unreadable` */
    commandId: z.string().min(1).max(64),
    host: z.string().min(1).max(255),
    /** the command's action, null when it could not be read */
    action: z.enum(AGENT_COMMAND_ACTIONS).nullable(),
    /** the job the command belongs to (params.job), null for `plan` and unreadable ones */
    job: z.string().max(64).nullable(),
    status: z.enum(['refused', 'accepted', 'progress', 'done', 'failed']),
    reason: z.enum(COMMAND_REFUSAL_REASONS).optional(),
    step: z.string().max(128).optional(),
    detail: z.string().max(8192).optional(),
    /** `plan`: an {@link AgentPlan}; `set_mode`: `{iniPath, backupPath, diff}`; restarts: `{ms}` */
    result: z.unknown().optional(),
    /** agent clock, ISO 8601 */
    at: z.string().max(40),
  })
  .strict();
/** One reply. */
export type CommandReply = z.infer<typeof commandReplySchema>;
