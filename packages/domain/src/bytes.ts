/**
 * Byte <-> text helpers that run the same in Node and in a browser (the domain runs in both): what
 * Node's `Buffer` offered (base64, UTF-8 byte length), on plain `Uint8Array`s. A Node
 * `Buffer` is a `Uint8Array`, so every function accepts one. UTF-8 itself goes through the WHATWG
 * `TextEncoder` / `TextDecoder` (globals in Node and browsers, typed in web-globals.d.ts).
 */

/**
 * Length in bytes of `text` encoded as UTF-8 (`Buffer.byteLength(text)`, `TextEncoder` output),
 * without encoding it: a lone surrogate counts 3 bytes (it becomes U+FFFD).
 */
export function utf8ByteLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4, with `=` padding), as `Buffer.from(bytes).toString('base64')`. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}${B64[(v >> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decode standard base64 (RFC 4648 §4; padding optional, `-` / `_` of base64url accepted, ASCII
 * whitespace skipped), like `Buffer.from(text, 'base64')`.
 * @throws Error naming the first character that is not base64 (Buffer would skip it silently)
 */
export function base64Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) break; // '=': padding ends the data
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    const v = c === 0x2d ? 62 : c === 0x5f ? 63 : c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new Error(`not base64: ${JSON.stringify(text[i])} at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.slice(0, n);
}
