/**
 * Reading one agent command off the wire: the body is a compact JWS (EdDSA, Ed25519) signed by the
 * worker; the agent verifies it with the public key given at install (`--command-public-key`),
 * then validates the payload as an `AgentCommand` and runs the contract's checks
 * (`checkAgentCommand`: host, lifetime, not before, expiry, replay). Everything from the broker is
 * hostile until this returns `ok`: the body is bounded before any parsing, only `EdDSA` is
 * accepted, and the JSON is capped in depth and entries.
 */
import { readFile } from 'node:fs/promises';
import { type CryptoKey, type JWK, type KeyObject, compactVerify, importJWK, importSPKI } from 'jose';
import {
  AGENT_COMMAND_ACTIONS,
  type AgentCommand,
  type AgentCommandAction,
  type CommandRefusalReason,
  agentCommandSchema,
  checkAgentCommand,
  checkJsonLimits,
} from '@l2scope/domain';

/** Largest command body read (bytes); a longer one is refused `invalid` before any parsing. */
export const COMMAND_MAX_BYTES = 64 * 1024;

/** The worker's public key as jose uses it. */
export type CommandKey = CryptoKey | KeyObject;

/**
 * Load the worker's Ed25519 public key: PEM SPKI (`-----BEGIN PUBLIC KEY-----`) or a JWK file
 * (`{"kty":"OKP","crv":"Ed25519","x":...}`; a private `d` is refused: the agent must never hold the
 * signing key).
 * @throws Error naming the file when it is unreadable, not Ed25519, or holds a private key
 */
export async function loadCommandKey(file: string): Promise<CommandKey> {
  const text = (await readFile(file, 'utf8')).trim();
  if (text.length > 16_384) throw new Error(`${file}: too long for an Ed25519 public key`);
  try {
    if (text.startsWith('-----BEGIN PUBLIC KEY-----')) return await importSPKI(text, 'EdDSA');
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      if (jwk.d !== undefined) throw new Error('holds a private key (d): give the agent the public key only');
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new Error(`not an Ed25519 key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)})`);
      return (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA')) as CommandKey;
    }
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  throw new Error(`${file}: not a PEM public key (SPKI) nor a JWK`);
}

/** What an unverified body claims about itself (for the refusal reply only; never trusted). */
export interface CommandLabel {
  commandId: string;
  action: AgentCommandAction | null;
  job: string | null;
}

/** The outcome of {@link readCommand}. */
export type ReadCommand = { ok: true; command: AgentCommand } | { ok: false; reason: CommandRefusalReason; label: CommandLabel; detail: string };

/** What {@link readCommand} needs. */
export interface ReadCommandContext {
  /** The worker's key; null: the agent is read-only and refuses every command. */
  key: CommandKey | null;
  /** The agent's own host name. */
  host: string;
  /** The agent's clock, seconds since the epoch. */
  nowS: number;
  /** Whether an id was seen before (the replay cache). */
  seen: (id: string) => boolean;
}

const UNREADABLE: CommandLabel = { commandId: 'unreadable', action: null, job: null };

/**
 * The id, action and job a body claims, read WITHOUT verifying the signature, so a refusal can name
 * the command the worker sent (a read-only agent, a key mismatch). Bounded and schema-checked; any
 * oddity gives `unreadable`.
 */
export function peekLabel(body: Buffer): CommandLabel {
  if (body.length > COMMAND_MAX_BYTES) return UNREADABLE;
  const parts = body.toString('latin1').split('.');
  if (parts.length !== 3 || !/^[\w-]*$/.test(parts[1]!)) return UNREADABLE;
  try {
    const json = Buffer.from(parts[1]!, 'base64url').toString('utf8');
    if (checkJsonLimits(json, { maxDepth: 8, maxEntries: 10_000 }) !== null) return UNREADABLE;
    const v = JSON.parse(json) as Record<string, unknown>;
    const id = typeof v.id === 'string' && v.id.length >= 1 && v.id.length <= 64 ? v.id : 'unreadable';
    const action = (AGENT_COMMAND_ACTIONS as readonly unknown[]).includes(v.action) ? (v.action as AgentCommandAction) : null;
    const p = v.params as Record<string, unknown> | undefined;
    const job = p && typeof p.job === 'string' && p.job.length <= 64 ? p.job : null;
    return { commandId: id, action, job };
  } catch {
    return UNREADABLE;
  }
}

/**
 * Verify and validate one command body. Order: read-only, size (64 KiB), signature (compact JWS,
 * `alg` EdDSA only, the worker's key), JSON limits and `agentCommandSchema`, then
 * `checkAgentCommand` (host, lifetime, not before, expiry, replay). Never throws.
 * @param body the AMQP message body (the compact JWS text)
 */
export async function readCommand(body: Buffer, ctx: ReadCommandContext): Promise<ReadCommand> {
  if (!ctx.key) return { ok: false, reason: 'read_only', label: peekLabel(body), detail: 'no --command-public-key: this agent is read-only' };
  if (body.length > COMMAND_MAX_BYTES)
    return { ok: false, reason: 'invalid', label: UNREADABLE, detail: `body of ${body.length} bytes (max ${COMMAND_MAX_BYTES})` };
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(body.toString('latin1'), ctx.key, { algorithms: ['EdDSA'] }));
  } catch (e) {
    return { ok: false, reason: 'bad_signature', label: peekLabel(body), detail: `signature: ${(e as Error).message.slice(0, 200)}` };
  }
  const label = peekLabel(body);
  const json = Buffer.from(payload).toString('utf8');
  const limit = checkJsonLimits(json, { maxDepth: 8, maxEntries: 10_000 });
  if (limit !== null) return { ok: false, reason: 'invalid', label, detail: `payload: ${limit.message}` };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'invalid', label, detail: 'payload is not JSON' };
  }
  const parsed = agentCommandSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: 'invalid',
      label,
      detail: `payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not a command'}`.slice(0, 400),
    };
  }
  const command = parsed.data;
  const reason = checkAgentCommand(command, ctx.host, ctx.nowS, ctx.seen);
  if (reason !== null) return { ok: false, reason, label: labelOf(command), detail: refusalDetail(reason, command, ctx) };
  return { ok: true, command };
}

/** The label of a validated command. */
export function labelOf(c: AgentCommand): CommandLabel {
  return { commandId: c.id, action: c.action, job: 'job' in c.params ? c.params.job : null };
}

function refusalDetail(reason: CommandRefusalReason, c: AgentCommand, ctx: ReadCommandContext): string {
  switch (reason) {
    case 'wrong_host':
      return `for host ${c.host.slice(0, 255)}, this is ${ctx.host}`;
    case 'lifetime_too_long':
      return `lifetime ${c.expiresAt - c.issuedAt} s`;
    case 'not_yet_valid':
      return `issued at ${c.issuedAt}, now ${ctx.nowS}`;
    case 'expired':
      return `expired at ${c.expiresAt}, now ${ctx.nowS}`;
    case 'replayed':
      return `id ${c.id} seen before`;
    default:
      return reason;
  }
}
