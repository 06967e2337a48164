/**
 * redactSecrets scans bytes; it must replace exactly what the pattern it documents replaces in the
 * body read as latin1 (the implementation it replaced, on Node's Buffer): real capture bodies and
 * random bodies built from the pattern's pieces (escaped quotes at any depth, spaces, NBSP, invalid
 * UTF-8, keys that almost match).
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../src';
import { loadCapture } from './fixtures';
import { prng } from './prng';

/** The reference: the pattern on the latin1 text. */
function byPattern(body: Uint8Array): { body: Uint8Array; redacted: number } {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  let redacted = 0;
  const out = text.replace(
    /(_context_[a-z_]*token)(\\*")(\s*:\s*)(\\*")([^"\\]*)(\\*")/g,
    (_m, key: string, q1: string, colon: string, q2: string, value: string, q3: string) => {
      if (value === '' || value === '***') return `${key}${q1}${colon}${q2}${value}${q3}`;
      redacted++;
      return `${key}${q1}${colon}${q2}***${q3}`;
    },
  );
  return redacted === 0 ? { body, redacted } : { body: new Uint8Array(Buffer.from(out, 'latin1')), redacted };
}

const PIECES: (string | number[])[] = [
  '_context_',
  '_context_auth_token',
  'auth_',
  'token',
  'tok',
  '_',
  'x',
  'Z',
  '"',
  '\\',
  '\\"',
  '\\\\\\"',
  ':',
  ' ',
  '\t',
  '\n',
  [0xa0],
  [0xff],
  [0xc3, 0xa9],
  'gAAAA-secret',
  '***',
  '{',
  '}',
  ',',
  '_context_request_id',
];

/** A `_context_*token` key and value at a random escaping depth, with random spacing and value. */
function tokenPair(rnd: () => number): string {
  const q = `${'\\'.repeat(Math.floor(rnd() * 4))}"`;
  const sp = () => [' ', '', '\t', '\u00a0', '  '][Math.floor(rnd() * 5)]!;
  const key = ['_context_auth_token', '_context_token', '_context_user_auth_token', '_context_tokens', '_context_Auth_token'][Math.floor(rnd() * 5)]!;
  const value = ['', '***', 'gAAAA-secret_1', 'x y', '\u00ff\u00e9', 'a\\b'][Math.floor(rnd() * 6)]!;
  return `${key}${q}${sp()}:${sp()}${q}${value}${q}`;
}

function randomBody(rnd: () => number): Uint8Array {
  const parts: number[] = [];
  const n = Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) {
    const p = rnd() < 0.15 ? tokenPair(rnd) : PIECES[Math.floor(rnd() * PIECES.length)]!;
    parts.push(...(typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
  }
  return Uint8Array.from(parts);
}

describe('redactSecrets (byte scanner) equals its pattern on latin1 text', () => {
  it('every real capture body', () => {
    for (const capture of ['lab1', 'lab2', 'lab3', 'mixed', 'ovs-node', 'ovs-try', 'faults', 'switch-noclean']) {
      for (const r of loadCapture(capture)) {
        const got = redactSecrets(r.body);
        const want = byPattern(r.body);
        expect(got.redacted).toBe(want.redacted);
        expect(Buffer.from(got.body).equals(Buffer.from(want.body))).toBe(true);
      }
    }
  });

  it('20,000 random bodies from the pattern pieces; the input array itself when nothing is replaced', () => {
    const rnd = prng(5);
    let replaced = 0;
    for (let i = 0; i < 20_000; i++) {
      const body = randomBody(rnd);
      const got = redactSecrets(body);
      const want = byPattern(body);
      expect({ i, redacted: got.redacted, body: Buffer.from(got.body).toString('latin1') }).toEqual({
        i,
        redacted: want.redacted,
        body: Buffer.from(want.body).toString('latin1'),
      });
      if (got.redacted === 0) expect(got.body).toBe(body);
      replaced += got.redacted;
    }
    expect(replaced).toBeGreaterThan(100);
  });
});
