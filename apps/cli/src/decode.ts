/**
 * `l2scope decode [FILE]`: one captured message per input line (the fixtures' JSONL shape),
 * one JSON object per output line (see `toDecodeJson` in @l2scope/domain). Blank lines are skipped.
 */
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { decodeMessage, parseCaptureLine, toDecodeJson } from '@l2scope/domain';

/**
 * Decode every line of `input` to `output`.
 * @returns counts of decoded and failed lines
 */
export async function decodeStream(input: Readable, output: Writable): Promise<{ ok: number; failed: number }> {
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let ok = 0;
  let failed = 0;
  for await (const line of rl) {
    if (!line.trim()) continue;
    const parsed = parseCaptureLine(line);
    const json = parsed.ok
      ? toDecodeJson(decodeMessage({ exchange: parsed.record.exchange, routingKey: parsed.record.routingKey, body: parsed.record.body }))
      : { ok: false as const, error: `bad_capture_line: ${parsed.error}`, reason: 'bad_capture_line' };
    if (json.ok) ok++;
    else failed++;
    if (!output.write(`${JSON.stringify(json)}\n`)) await new Promise((r) => output.once('drain', r));
  }
  return { ok, failed };
}

/** Run the command on a file path, or stdin when `file` is undefined or "-". */
export async function decodeCommand(file: string | undefined, opts: { strict?: boolean }): Promise<number> {
  const input = file && file !== '-' ? createReadStream(file, 'utf8') : process.stdin;
  const { failed } = await decodeStream(input, process.stdout);
  return opts.strict && failed > 0 ? 1 : 0;
}
