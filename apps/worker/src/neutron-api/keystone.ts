/**
 * Keystone v3: a token and the network endpoint from its catalog.
 *
 * `POST /v3/auth/tokens` (the only write l2scope sends anywhere, and it changes nothing: it asks
 * for a token); the token comes back in the `X-Subject-Token` header, the catalog in the body
 * (`token.catalog[]`: `{ type, endpoints: [{ interface, region, region_id, url }] }`), as
 * keystone's api-ref (identity v3, "Password authentication with scoped authorization",
 * "Authenticating with an Application Credential") describes.
 */
import { z } from 'zod';
import { HttpError, type HttpLimits, requestJson, shownUrl } from './http';
import type { KeystoneAuth, NeutronApiConfig } from './config';

/** A token and where to use it. */
export interface KeystoneSession {
  /** The `X-Subject-Token` (a secret). */
  token: string;
  /** Epoch ms it expires (`token.expires_at`). */
  expiresAt: number;
  /** The network service's endpoint from the catalog (no trailing slash). */
  networkUrl: string;
  /** Keystone's v3 root (`.../v3`), for `GET /v3/projects`. */
  identityUrl: string;
}

const ZTokenBody = z.object({
  token: z.object({
    expires_at: z.string().max(64),
    catalog: z
      .array(
        z.object({
          type: z.string().max(64),
          endpoints: z
            .array(
              z.object({
                interface: z.string().max(32),
                region: z.string().max(255).nullish(),
                region_id: z.string().max(255).nullish(),
                url: z.string().max(2048),
              }),
            )
            .max(1000),
        }),
      )
      .max(1000)
      .default([]),
  }),
});

/** `https://keystone:5000`, `.../v3`, `.../v3/` -> `https://keystone:5000/v3`. */
export function identityV3(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

function authBody(a: KeystoneAuth): unknown {
  if (a.type === 'v3applicationcredential') {
    // an application credential is scoped already: no scope block
    return { auth: { identity: { methods: ['application_credential'], application_credential: { id: a.id, secret: a.secret } } } };
  }
  const project = a.projectId ? { id: a.projectId } : { name: a.projectName, domain: { name: a.projectDomainName } };
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: a.username, domain: { name: a.userDomainName }, password: a.password } } },
      scope: { project },
    },
  };
}

/**
 * Authenticate and find the network endpoint (`type: network`, the configured interface, the
 * region when set).
 * @throws HttpError (401 for bad credentials) or Error when the catalog has no such endpoint
 */
export async function keystoneLogin(cfg: Extract<NeutronApiConfig, { kind: 'keystone' }>, limits: HttpLimits): Promise<KeystoneSession> {
  const identityUrl = identityV3(cfg.authUrl);
  const url = `${identityUrl}/auth/tokens`;
  const res = await requestJson(url, { method: 'POST', body: JSON.stringify(authBody(cfg.auth)) }, limits);
  const token = res.headers.get('x-subject-token');
  if (!token || token.length > 8192) throw new HttpError(`${shownUrl(url)}: no X-Subject-Token in the answer`, res.status);
  const body = ZTokenBody.safeParse(res.json);
  if (!body.success) throw new HttpError(`${shownUrl(url)}: the token body is not keystone's (${body.error.issues[0]?.message})`, res.status);
  const expiresAt = Date.parse(body.data.token.expires_at);
  const endpoints = body.data.token.catalog.filter((s) => s.type === 'network').flatMap((s) => s.endpoints);
  const ep = endpoints.find((e) => e.interface === cfg.interface && (!cfg.region || e.region_id === cfg.region || e.region === cfg.region));
  if (!ep) throw new Error(`keystone's catalog has no network endpoint for interface ${cfg.interface}${cfg.region ? ` in region ${cfg.region}` : ''}`);
  let networkUrl: string;
  try {
    const u = new URL(ep.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    networkUrl = u.toString().replace(/\/+$/, '');
  } catch {
    throw new Error("keystone's catalog lists a network endpoint that is not an http(s) URL");
  }
  return { token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 3_600_000, networkUrl, identityUrl };
}
