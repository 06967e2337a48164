/**
 * The WHATWG globals both runtimes of the domain provide (Node >= 11 and browsers): the Encoding API
 * (`TextEncoder`, `TextDecoder`) and `URL`, only the members the domain uses. The domain compiles
 * with `"types": []` and no DOM lib, so that neither Node's globals (`Buffer`, `process`) nor the
 * DOM's can slip in; this file declares what they share. Packages that compile the domain's sources
 * with Node or DOM types use theirs (this file is not imported, so it is not part of their programs).
 */
interface TextDecodeOptions {
  stream?: boolean;
}

interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  /** @throws TypeError when `fatal` and the input is not valid in the encoding */
  decode(input?: ArrayBufferView | ArrayBuffer, options?: TextDecodeOptions): string;
}

declare const TextDecoder: {
  prototype: TextDecoder;
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder;
};

interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
}

declare const TextEncoder: {
  prototype: TextEncoder;
  new (): TextEncoder;
};

/** WHATWG URL (the parts the domain reads). */
interface URL {
  readonly href: string;
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  toString(): string;
}

declare const URL: {
  prototype: URL;
  /** @throws TypeError when `url` (resolved against `base`) is not a valid URL */
  new (url: string, base?: string): URL;
};
