/**
 * The oslo.messaging RPC envelope as neutron-server and its agents put it on RabbitMQ.
 *
 * Mirrors oslo_messaging/_drivers/common.py `serialize_msg` / `deserialize_msg` and
 * oslo_messaging/_utils.py `version_is_compatible`: the AMQP body is JSON
 * `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}` whose inner string holds
 * `{"method", "args", "version", "_unique_id", "_msg_id"?, "_reply_q"?, "_timeout"?, "_context_*"...}`.
 * A JSON object body without both envelope keys is taken as the message itself, as oslo does.
 */
import { latin1Decode, latin1Encode, utf8ByteLength } from './bytes';

/** oslo `_RPC_ENVELOPE_VERSION`: the envelope version this decoder implements. */
export const RPC_ENVELOPE_VERSION = '2.0';

/** Why a message could not be decoded. Stable strings: stored in the database and shown in the UI. */
export type DecodeErrorReason =
  | 'too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'not_an_object'
  | 'unsupported_envelope_version'
  | 'invalid_inner_json'
  | 'missing_method'
  | 'unknown_method'
  | 'invalid_args'
  /** Decoded, but the database refused to store its decoded form: kept with its raw bytes only. */
  | 'unstorable';

/** A typed decoding failure: `reason` is machine readable, `message` says what was wrong for a human. */
export interface DecodeError {
  reason: DecodeErrorReason;
  message: string;
}

/** The inner oslo message, with every `_context_*token` key removed. */
export interface OsloMessage {
  method: string;
  args: Record<string, unknown>;
  /** RPC API version of the call (`version`), e.g. "1.0" for l2pop casts. */
  version: string | null;
  uniqueId: string | null;
  /** Set on RPC calls (`_msg_id`), absent on casts. */
  msgId: string | null;
  replyQueue: string | null;
  timeout: number | null;
  /** `_context_*` keys without their prefix (request_id, user_id, project_id, is_admin, ...), secrets removed. */
  context: Record<string, unknown>;
  /** False when the body was a bare message without the oslo envelope. */
  enveloped: boolean;
}

export type OsloResult = { ok: true; message: OsloMessage } | { ok: false; error: DecodeError };

/** Context keys that carry credentials: never stored, never shown. */
export function isSecretContextKey(key: string): boolean {
  return /^_context_[a-z_]*token$/.test(key);
}

/**
 * `oslo_messaging._utils.version_is_compatible(imp_version, version)`: same major, and a
 * minor (then revision) not newer than the implemented one.
 */
export function versionIsCompatible(impVersion: string, version: string): boolean {
  const parse = (v: string) => v.split('.').map((p) => Number.parseInt(p, 10));
  const [maj, min = 0, rev = 0] = parse(version);
  const [imaj, imin = 0, irev = 0] = parse(impVersion);
  if (maj === undefined || imaj === undefined || [maj, min, rev].some(Number.isNaN)) return false;
  if (maj !== imaj) return false;
  if (min > imin) return false;
  if (min === imin && rev > irev) return false;
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes of a body given as Buffer/Uint8Array or as an already decoded string (encoded as UTF-8). */
export function bodyBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

/**
 * Replace the values of `_context_*token` keys in a raw body with `***`, at any JSON
 * escaping depth (the inner message is a JSON string inside the envelope, so its quotes
 * appear as `\"`). Works on bytes, so invalid UTF-8 bodies are redacted too.
 *
 * @returns the redacted bytes (the same array when nothing matched) and how many values were replaced
 */
export function redactSecrets(body: Uint8Array): { body: Uint8Array; redacted: number } {
  const text = latin1Decode(body);
  if (!text.includes('token')) return { body, redacted: 0 };
  let redacted = 0;
  const out = text.replace(
    /(_context_[a-z_]*token)(\\*")(\s*:\s*)(\\*")([^"\\]*)(\\*")/g,
    (_m, key: string, q1: string, colon: string, q2: string, value: string, q3: string) => {
      if (value === '' || value === '***') return `${key}${q1}${colon}${q2}${value}${q3}`;
      redacted++;
      return `${key}${q1}${colon}${q2}***${q3}`;
    },
  );
  if (redacted === 0) return { body, redacted: 0 };
  return { body: latin1Encode(out), redacted };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/**
 * Decode an AMQP body into the inner oslo message.
 *
 * @param body raw AMQP body
 * @param maxBytes bodies larger than this are not parsed (`too_large`); the caller keeps the raw bytes
 * @returns the message, or a {@link DecodeError}: `too_large`, `invalid_utf8`, `invalid_json`,
 *   `not_an_object`, `unsupported_envelope_version` (oslo raises UnsupportedRpcEnvelopeVersion),
 *   `invalid_inner_json`, `missing_method`
 */
export function decodeOslo(body: Uint8Array | string, maxBytes = 8 * 1024 * 1024): OsloResult {
  let text: string;
  if (typeof body === 'string') {
    text = body;
    const size = text.length > maxBytes / 3 ? utf8ByteLength(text) : 0;
    if (size > maxBytes) {
      return fail('too_large', `body of ${size} bytes exceeds the decode limit of ${maxBytes} bytes`);
    }
  } else {
    if (body.byteLength > maxBytes) {
      return fail('too_large', `body of ${body.byteLength} bytes exceeds the decode limit of ${maxBytes} bytes`);
    }
    try {
      text = utf8.decode(body);
    } catch {
      return fail('invalid_utf8', 'body is not valid UTF-8');
    }
  }
  const outer = parseJson(text);
  if (!outer.ok) return fail('invalid_json', `body is not JSON: ${outer.message}`);
  if (!isPlainObject(outer.value)) return fail('not_an_object', 'body is JSON but not an object');
  let inner: Record<string, unknown> = outer.value;
  let enveloped = false;
  if ('oslo.version' in outer.value && 'oslo.message' in outer.value) {
    enveloped = true;
    const version = outer.value['oslo.version'];
    if (typeof version !== 'string' || !versionIsCompatible(RPC_ENVELOPE_VERSION, version)) {
      return fail('unsupported_envelope_version', `oslo.version ${JSON.stringify(version)} is not compatible with ${RPC_ENVELOPE_VERSION}`);
    }
    const msg = outer.value['oslo.message'];
    if (typeof msg !== 'string') return fail('invalid_inner_json', 'oslo.message is not a JSON string');
    const parsed = parseJson(msg);
    if (!parsed.ok) return fail('invalid_inner_json', `oslo.message is not JSON: ${parsed.message}`);
    if (!isPlainObject(parsed.value)) return fail('invalid_inner_json', 'oslo.message is not a JSON object');
    inner = parsed.value;
  }
  const method = inner.method;
  if (typeof method !== 'string' || method === '') return fail('missing_method', 'message has no "method"');
  const args = inner.args ?? {};
  if (!isPlainObject(args)) return fail('invalid_args', '"args" is not an object');
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inner)) {
    if (!key.startsWith('_context_') || isSecretContextKey(key)) continue;
    context[key.slice('_context_'.length)] = value;
  }
  return {
    ok: true,
    message: {
      method,
      args,
      version: typeof inner.version === 'string' ? inner.version : null,
      uniqueId: typeof inner._unique_id === 'string' ? inner._unique_id : null,
      msgId: typeof inner._msg_id === 'string' ? inner._msg_id : null,
      replyQueue: typeof inner._reply_q === 'string' ? inner._reply_q : null,
      timeout: typeof inner._timeout === 'number' ? inner._timeout : null,
      context,
      enveloped,
    },
  };
}

function fail(reason: DecodeErrorReason, message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { reason, message } };
}
