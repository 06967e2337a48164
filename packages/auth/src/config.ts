/**
 * Authentication settings, read from the environment (docs/auth.md#environment), and the secret
 * Better Auth signs session cookies with.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dbProvider, repoRoot, sqliteFilePath } from '@l2scope/db';

/** The site's OpenID Connect identity provider (Better Auth's generic OAuth plugin), when configured. */
export interface OidcConfig {
  /** Issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Scopes requested, default `openid profile email`. */
  scopes: string[];
  /** Label of the login page's button, default `Single sign-on`. */
  label: string;
}

/** Everything `createAuth` needs besides the database. */
export interface AuthConfig {
  /** The key session cookies are signed with (at least 32 characters). */
  secret: string;
  /**
   * The dashboard's public URL (`L2SCOPE_BASE_URL` or `BETTER_AUTH_URL`), e.g.
   * `https://l2scope.example.net`; undefined: taken from each request. An `https:` URL makes the
   * cookies `Secure`.
   */
  baseURL: string | undefined;
  /**
   * Origins allowed to sign in and to send tRPC mutations: the base URL's origin plus
   * `L2SCOPE_TRUSTED_ORIGINS` (comma-separated). Empty: the request's own host (same origin).
   */
  trustedOrigins: string[];
  /** `L2SCOPE_ANONYMOUS_READ=1`: requests without a session read as an anonymous viewer. Default off. */
  anonymousRead: boolean;
  /** Sign-in attempts allowed per client IP and window (`L2SCOPE_LOGIN_MAX`, default 10). */
  loginMax: number;
  /** The sign-in rate limit's window in seconds (`L2SCOPE_LOGIN_WINDOW_S`, default 60). */
  loginWindowS: number;
  /** OIDC provider, when `L2SCOPE_OIDC_ISSUER` and `L2SCOPE_OIDC_CLIENT_ID` are set. */
  oidc: OidcConfig | null;
}

/** Origin (`scheme://host[:port]`) of a URL; throws on a string that is not an absolute URL. */
function originOf(url: string): string {
  return new URL(url).origin;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Where the generated secret is kept when none is set in the environment: `auth-secret` in the
 * data directory, beside the SQLite file of `databaseUrl` (for PostgreSQL or an in-memory SQLite,
 * `<repo root>/data`).
 */
export function secretFilePath(databaseUrl: string): string {
  const file = dbProvider(databaseUrl) === 'sqlite' ? sqliteFilePath(databaseUrl) : null;
  return path.join(file ? path.dirname(file) : path.join(repoRoot(), 'data'), 'auth-secret');
}

/**
 * The signing secret: `BETTER_AUTH_SECRET`, else `L2SCOPE_AUTH_SECRET`, else the content of
 * {@link secretFilePath}, which is created on first use (32 random bytes, base64url, mode 0600).
 * Two processes starting together (web and worker) agree: the file is created exclusively and
 * the loser reads the winner's. Throws when a secret from the environment is shorter than 32
 * characters, or the file cannot be read or written.
 */
export function resolveSecret(databaseUrl: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.BETTER_AUTH_SECRET?.trim() || env.L2SCOPE_AUTH_SECRET?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('BETTER_AUTH_SECRET / L2SCOPE_AUTH_SECRET must be at least 32 characters');
    return fromEnv;
  }
  const file = secretFilePath(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file}: the secret is shorter than 32 characters; delete the file to generate a new one`);
  return secret;
}

/**
 * The settings from `env` (see {@link AuthConfig} for each variable) for the database at
 * `databaseUrl` (where a generated secret is kept). Throws on a malformed URL or number.
 */
export function authConfigFromEnv(databaseUrl: string, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const baseURL = (env.L2SCOPE_BASE_URL || env.BETTER_AUTH_URL)?.trim() || undefined;
  const extra = (env.L2SCOPE_TRUSTED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(originOf);
  const trustedOrigins = [...new Set([...(baseURL ? [originOf(baseURL)] : []), ...extra])];
  const issuer = env.L2SCOPE_OIDC_ISSUER?.trim();
  const clientId = env.L2SCOPE_OIDC_CLIENT_ID?.trim();
  return {
    secret: resolveSecret(databaseUrl, env),
    baseURL,
    trustedOrigins,
    anonymousRead: env.L2SCOPE_ANONYMOUS_READ === '1',
    loginMax: positiveInt(env.L2SCOPE_LOGIN_MAX, 10, 'L2SCOPE_LOGIN_MAX'),
    loginWindowS: positiveInt(env.L2SCOPE_LOGIN_WINDOW_S, 60, 'L2SCOPE_LOGIN_WINDOW_S'),
    oidc:
      issuer && clientId
        ? {
            issuer: issuer.replace(/\/+$/, ''),
            clientId,
            clientSecret: env.L2SCOPE_OIDC_CLIENT_SECRET?.trim() || undefined,
            scopes: (env.L2SCOPE_OIDC_SCOPES ?? 'openid profile email').split(/[\s,]+/).filter(Boolean),
            label: env.L2SCOPE_OIDC_LABEL?.trim() || 'Single sign-on',
          }
        : null,
  };
}
