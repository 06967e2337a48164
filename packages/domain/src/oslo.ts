/**
 * The oslo.messaging RPC envelope as neutron-server and its agents put it on RabbitMQ.
 *
 * Mirrors oslo_messaging/_drivers/common.py `serialize_msg` / `deserialize_msg` and
 * oslo_messaging/_utils.py `version_is_compatible`: the AMQP body is JSON
 * `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}` whose inner string holds
 * `{"method", "args", "version", "_unique_id", "_msg_id"?, "_reply_q"?, "_timeout"?, "_context_*"...}`.
 * A JSON object body without both envelope keys is taken as the message itself, as oslo does.
 */
import { utf8ByteLength } from './bytes';
import { DEFAULT_JSON_LIMITS, type JsonLimits, checkJsonLimits } from './json-limits';

/** oslo `_RPC_ENVELOPE_VERSION`: the envelope version this decoder implements. */
export const RPC_ENVELOPE_VERSION = '2.0';

/** Why a message could not be decoded. Stable strings: stored in the database and shown in the UI. */
export type DecodeErrorReason =
  | 'too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  /** Nested deeper than the decode's `maxDepth` (envelope or inner message), checked before parsing. */
  | 'too_deep'
  /** More array elements and object members than the decode's `maxEntries`, checked before parsing. */
  | 'too_many_entries'
  | 'not_an_object'
  | 'unsupported_envelope_version'
  | 'invalid_inner_json'
  | 'missing_method'
  | 'unknown_method'
  | 'invalid_args'
  /** Decoded, but the database refused to store its decoded form: kept with its raw bytes only. */
  | 'unstorable'
  /** Decoding or folding it into the model threw (a bug, or input no cap foresaw): kept raw with the error. */
  | 'processing_failed';

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
 * What is replaced is what the pattern `(_context_[a-z_]*token)(\\*")(\s*:\s*)(\\*")([^"\\]*)(\\*")`
 * matches in the body read as latin1 (one character per byte), empty and `***` values left as
 * they are; the bytes are scanned directly (no text conversion: this runs on every ingested message).
 *
 * @returns the redacted bytes (the same array when nothing matched) and how many values were replaced
 */
export function redactSecrets(body: Uint8Array): { body: Uint8Array; redacted: number } {
  let spans: number[] | null = null;
  // every match ends its key with `token` at the end of a run of [a-z_]: look for the `k`s (rare
  // in bodies, found natively), then for the leftmost `_context_` of that run
  for (let k = body.indexOf(0x6b, 0); k >= 0;) {
    const start = keyStartAt(body, k);
    const m = start < 0 ? null : tokenValueAt(body, start);
    if (m === null) {
      k = body.indexOf(0x6b, k + 1);
      continue;
    }
    const [from, to, end] = m;
    const empty = to === from;
    const stars = to - from === 3 && body[from] === 0x2a && body[from + 1] === 0x2a && body[from + 2] === 0x2a;
    if (!empty && !stars) (spans ??= []).push(from, to);
    k = body.indexOf(0x6b, end);
  }
  if (spans === null) return { body, redacted: 0 };
  let size = body.length;
  for (let i = 0; i < spans.length; i += 2) size += 3 - (spans[i + 1]! - spans[i]!);
  const out = new Uint8Array(size);
  let at = 0;
  let last = 0;
  for (let i = 0; i < spans.length; i += 2) {
    out.set(body.subarray(last, spans[i]), at);
    at += spans[i]! - last;
    out[at++] = 0x2a;
    out[at++] = 0x2a;
    out[at++] = 0x2a;
    last = spans[i + 1]!;
  }
  out.set(body.subarray(last), at);
  return { body: out, redacted: spans.length / 2 };
}

/** `_context_` in bytes. */
const CONTEXT_KEY = [0x5f, 0x63, 0x6f, 0x6e, 0x74, 0x65, 0x78, 0x74, 0x5f];
/** `token` in bytes. */
const TOKEN = [0x74, 0x6f, 0x6b, 0x65, 0x6e];
const isKeyChar = (c: number | undefined) => c !== undefined && ((c >= 0x61 && c <= 0x7a) || c === 0x5f);

/**
 * For the byte `k` at `k`: when it is the `k` of a `token` ending a run of [a-z_], the position of
 * the leftmost `_context_` in that run (where the pattern would start), else -1.
 */
function keyStartAt(b: Uint8Array, k: number): number {
  const t = k - 2;
  if (t < CONTEXT_KEY.length) return -1;
  for (let i = 0; i < TOKEN.length; i++) if (b[t + i] !== TOKEN[i]) return -1;
  if (isKeyChar(b[t + TOKEN.length])) return -1;
  let s = t;
  while (s > 0 && isKeyChar(b[s - 1])) s--;
  for (let p = s; p + CONTEXT_KEY.length <= t; p++) {
    let i = 0;
    while (i < CONTEXT_KEY.length && b[p + i] === CONTEXT_KEY[i]) i++;
    if (i === CONTEXT_KEY.length) return p;
  }
  return -1;
}

/** `\s` of a JavaScript pattern, on a latin1 character: TAB, LF, VT, FF, CR, space, NBSP. */
const isSpace = (c: number | undefined) => c !== undefined && ((c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0);

/**
 * The pattern of {@link redactSecrets} anchored at `i` (a `_context_`): `[value start, value end,
 * match end]`, or null when it does not match there. Every part is deterministic (no backtracking
 * can make a failed match succeed): the key is the longest `[a-z_]` run, which must end in `token`.
 */
function tokenValueAt(b: Uint8Array, i: number): [number, number, number] | null {
  const n = b.length;
  let k = i + CONTEXT_KEY.length;
  while (isKeyChar(b[k])) k++;
  if (k - (i + CONTEXT_KEY.length) < TOKEN.length) return null;
  for (let t = 0; t < TOKEN.length; t++) if (b[k - TOKEN.length + t] !== TOKEN[t]) return null;
  const quote = (): boolean => {
    while (k < n && b[k] === 0x5c) k++;
    if (b[k] !== 0x22) return false;
    k++;
    return true;
  };
  if (!quote()) return null;
  while (isSpace(b[k])) k++;
  if (b[k] !== 0x3a) return null;
  k++;
  while (isSpace(b[k])) k++;
  if (!quote()) return null;
  const from = k;
  while (k < n && b[k] !== 0x22 && b[k] !== 0x5c) k++;
  const to = k;
  if (!quote()) return null;
  return [from, to, k];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, limits: JsonLimits): { ok: true; value: unknown } | { ok: false; message: string; reason?: 'too_deep' | 'too_many_entries' } {
  const problem = checkJsonLimits(text, limits);
  if (problem) return { ok: false, message: problem.message, reason: problem.reason };
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
 * @param limits nesting and entry caps checked on the body and on the inner `oslo.message` text before
 *   each is parsed (`too_deep`, `too_many_entries`; default {@link DEFAULT_JSON_LIMITS})
 * @returns the message, or a {@link DecodeError}: `too_large`, `invalid_utf8`, `too_deep`, `too_many_entries`, `invalid_json`,
 *   `not_an_object`, `unsupported_envelope_version` (oslo raises UnsupportedRpcEnvelopeVersion),
 *   `invalid_inner_json`, `missing_method`
 */
export function decodeOslo(body: Uint8Array | string, maxBytes = 8 * 1024 * 1024, limits: JsonLimits = DEFAULT_JSON_LIMITS): OsloResult {
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
  const outer = parseJson(text, limits);
  if (!outer.ok) return fail(outer.reason ?? 'invalid_json', outer.reason ? `body: ${outer.message}` : `body is not JSON: ${outer.message}`);
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
    const parsed = parseJson(msg, limits);
    if (!parsed.ok) {
      return fail(parsed.reason ?? 'invalid_inner_json', parsed.reason ? `oslo.message: ${parsed.message}` : `oslo.message is not JSON: ${parsed.message}`);
    }
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
