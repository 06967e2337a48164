/**
 * The worker's command signing key (docs/toggles.md#jobs): an Ed25519 key pair made on first start
 * with `jose`, the private key stored PKCS8 PEM with mode 0600 (default `<data dir>/command-key.pem`,
 * beside the SQLite file), the public key PEM beside it (`command-key.pub.pem`) for agent installs.
 * Commands are compact JWS with header `{alg: 'EdDSA', typ: 'l2scope.command/1'}`.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CompactSign, type CryptoKey, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importJWK, importPKCS8, importSPKI } from 'jose';
import { type AgentCommand, type AgentCommandAction, COMMAND_WIRE, agentCommandSchema } from '@l2scope/domain';

/** Lifetime of a signed command (seconds): `expiresAt = issuedAt + 30`. */
export const COMMAND_LIFETIME_S = 30;

/** The public key file beside a private key file: `command-key.pem` -> `command-key.pub.pem`. */
export function publicKeyPath(privatePath: string): string {
  return privatePath.endsWith('.pem') ? `${privatePath.slice(0, -4)}.pub.pem` : `${privatePath}.pub.pem`;
}

/** Signs agent commands with the worker's key. */
export class CommandSigner {
  private constructor(
    private readonly key: CryptoKey,
    /** the public key, SPKI PEM */
    readonly publicPem: string,
    /** where the private key is */
    readonly file: string,
  ) {}

  /**
   * Load the key at `file`, or make and store a new pair there (directory created; private key
   * mode 0600, public key 0644). A private key file with group/other permissions is tightened to 0600.
   * @throws Error when the file exists but is not an Ed25519 PKCS8 PEM
   */
  static async open(file: string, log: (line: string) => void = () => {}): Promise<CommandSigner> {
    const pub = publicKeyPath(file);
    if (existsSync(file)) {
      chmodSync(file, 0o600);
      const pem = readFileSync(file, 'utf8');
      const key = await importPKCS8(pem, 'EdDSA', { extractable: true });
      // the public key is derived from the private one's JWK (x) so both files always agree
      const jwk = await exportJWK(key);
      const publicKey = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA')) as CryptoKey;
      const publicPem = await exportSPKI(publicKey);
      if (!existsSync(pub) || readFileSync(pub, 'utf8') !== publicPem) writeFileSync(pub, publicPem, { mode: 0o644 });
      return new CommandSigner(key, publicPem, file);
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' });
    const publicPem = await exportSPKI(publicKey);
    writeFileSync(pub, publicPem, { mode: 0o644 });
    log(`worker: made the command signing key ${file} (public key ${pub}: install it on the node agents)`);
    return new CommandSigner(privateKey, publicPem, file);
  }

  /**
   * A command for `host`, validated against the contract and signed.
   * @returns the command and its compact JWS
   * @throws ZodError when the params do not fit the action
   */
  async sign<A extends AgentCommandAction>(
    host: string,
    action: A,
    params: Extract<AgentCommand, { action: A }>['params'],
    nowMs = Date.now(),
  ): Promise<{ command: AgentCommand; jws: string }> {
    const issuedAt = Math.floor(nowMs / 1000);
    const command = agentCommandSchema.parse({ id: randomUUID(), host, issuedAt, expiresAt: issuedAt + COMMAND_LIFETIME_S, action, params });
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(command)))
      .setProtectedHeader({ alg: 'EdDSA', typ: COMMAND_WIRE.commandSchema })
      .sign(this.key);
    return { command, jws };
  }
}

/** The public key of a PEM file, for tests and tools that verify commands. */
export async function readPublicKey(file: string): Promise<CryptoKey> {
  return importSPKI(readFileSync(file, 'utf8'), 'EdDSA');
}
