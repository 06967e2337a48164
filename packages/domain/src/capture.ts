/**
 * Capture files: one AMQP message per line, the shape of `fixtures/*.jsonl` and of
 * l2scope's inspector export:
 * `{"ts": ISO-8601, "exchange", "routingKey", "properties": {amqplib message properties}, "body": "<raw body>"}`.
 * A body that is not valid UTF-8 is written as `"bodyBase64"` instead of `"body"`.
 */
import { z } from 'zod';
import { base64Decode, base64Encode } from './bytes';
import { checkJsonLimits } from './json-limits';

/** AMQP basic properties as amqplib names them (only those neutron-server sets, plus a few common ones). */
export const amqpPropertiesSchema = z
  .object({
    contentType: z.string().optional(),
    contentEncoding: z.string().optional(),
    headers: z.record(z.string(), z.unknown()).optional(),
    deliveryMode: z.number().int().optional(),
    priority: z.number().int().optional(),
    expiration: z.string().optional(),
    messageId: z.string().optional(),
    correlationId: z.string().optional(),
    replyTo: z.string().optional(),
    timestamp: z.number().optional(),
    type: z.string().optional(),
    userId: z.string().optional(),
    appId: z.string().optional(),
  })
  .catchall(z.unknown());

export type AmqpProperties = z.infer<typeof amqpPropertiesSchema>;

const captureLineSchema = z
  .object({
    ts: z.iso.datetime({ offset: true }),
    exchange: z.string(),
    routingKey: z.string(),
    properties: amqpPropertiesSchema.default({}),
    body: z.string().optional(),
    bodyBase64: z.base64().optional(),
  })
  .refine((l) => l.body !== undefined || l.bodyBase64 !== undefined, { message: 'needs "body" or "bodyBase64"' });

/** One captured message. */
export interface CaptureRecord {
  /** Receive time. */
  ts: Date;
  exchange: string;
  routingKey: string;
  properties: AmqpProperties;
  /** Raw AMQP body bytes. */
  body: Uint8Array;
}

export type CaptureParse = { ok: true; record: CaptureRecord } | { ok: false; error: string };

const utf8Encoder = new TextEncoder();

/**
 * Parse one line of a capture file. Never throws; blank lines are an error too (callers skip them
 * first). A line nested deeper or with more entries than the default JSON caps (e.g. AMQP headers
 * 6,000 deep) is refused before it is parsed (docs/wire-format.md#poison-input); the body, a string
 * in the line, is capped when it is decoded.
 */
export function parseCaptureLine(line: string): CaptureParse {
  const problem = checkJsonLimits(line);
  if (problem) return { ok: false, error: `capture line: ${problem.reason}: ${problem.message}` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `capture line is not JSON: ${(e as Error).message}` };
  }
  const parsed = captureLineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `capture line: ${issue?.path.join('.') || ''}${issue?.path.length ? ': ' : ''}${issue?.message ?? 'invalid'}` };
  }
  const l = parsed.data;
  const body = l.body !== undefined ? utf8Encoder.encode(l.body) : base64Decode(l.bodyBase64!);
  return { ok: true, record: { ts: new Date(l.ts), exchange: l.exchange, routingKey: l.routingKey, properties: l.properties, body } };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Serialise a message as one capture line (no trailing newline). */
export function toCaptureLine(r: CaptureRecord): string {
  let bodyField: { body: string } | { bodyBase64: string };
  try {
    bodyField = { body: strictUtf8.decode(r.body) };
  } catch {
    bodyField = { bodyBase64: base64Encode(r.body) };
  }
  return JSON.stringify({ ts: r.ts.toISOString(), exchange: r.exchange, routingKey: r.routingKey, properties: r.properties, ...bodyField });
}

/** Parse a whole capture file; blank lines are skipped, bad lines reported with their 1-based number. */
export function parseCapture(text: string): { records: CaptureRecord[]; errors: { line: number; error: string }[] } {
  const records: CaptureRecord[] = [];
  const errors: { line: number; error: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const p = parseCaptureLine(line);
    if (p.ok) records.push(p.record);
    else errors.push({ line: i + 1, error: p.error });
  }
  return { records, errors };
}

/**
 * A point in time given on a command line: ISO-8601 (`2026-11-22T00:25:30Z`) or epoch seconds
 * (`1795307160.5`, as in the fixtures' events.tsv).
 * @returns epoch milliseconds
 * @throws Error naming the accepted forms when `text` is neither
 */
export function parseTimeArg(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number.parseFloat(t) * 1000);
  const ms = Date.parse(t);
  if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(t)) return ms;
  throw new Error(`"${text}" is not a time: use ISO-8601 (2026-11-22T00:25:30Z) or epoch seconds (1795307160.5)`);
}
