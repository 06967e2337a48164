/** The browser-safe byte helpers against Node's Buffer, which they replace in the domain. */
import { describe, expect, it } from 'vitest';
import { base64Decode, base64Encode, utf8ByteLength } from '../src/bytes';
import { prng } from './prng';

const randomBytes = (rnd: () => number, n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

describe('bytes (Buffer replacements)', () => {
  it('base64 both ways equals Buffer, every length mod 3 and long inputs', () => {
    const rnd = prng(7);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 100, 8191, 8192, 8193, 70_000]) {
      const b = randomBytes(rnd, n);
      const text = Buffer.from(b).toString('base64');
      expect(base64Encode(b)).toBe(text);
      expect([...base64Decode(text)]).toEqual([...b]);
    }
    expect(base64Encode(Buffer.from('l2pop'))).toBe('bDJwb3A=');
    expect(new TextDecoder().decode(base64Decode('bDJwb3A'))).toBe('l2pop'); // padding optional
    expect(() => base64Decode('bDJ*b3A=')).toThrow(/not base64/);
  });

  it('utf8ByteLength equals Buffer.byteLength (ASCII, 2/3/4-byte characters, lone surrogates)', () => {
    for (const s of ['', 'fa:16:3e:00:00:01', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud83d', '\ud83d\ud83d\ude00']) {
      expect(utf8ByteLength(s), JSON.stringify(s)).toBe(Buffer.byteLength(s));
      expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});
