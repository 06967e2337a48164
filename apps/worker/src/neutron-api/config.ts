/**
 * Where and how to reach Neutron's API: a given endpoint (`--neutron-api URL`, noauth), or Keystone
 * v3 from `OS_CLOUD` + clouds.yaml, or from `OS_*` variables (password or application credential),
 * as openstacksdk / python-openstackclient read them (docs/neutron-api.md#configuration).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Keystone v3 credentials (secrets: never logged, never in status). */
export type KeystoneAuth =
  | { type: 'password'; username: string; password: string; userDomainName: string; projectName?: string; projectId?: string; projectDomainName: string }
  | { type: 'v3applicationcredential'; id: string; secret: string };

/** Which API to poll and how. */
export type NeutronApiConfig =
  | {
      kind: 'endpoint';
      /** The Neutron endpoint (`http://host:9696`); requests go to `<url>/v2.0/...`. */
      url: string;
    }
  | {
      kind: 'keystone';
      /** Keystone's URL (`https://keystone:5000` or `.../v3`). */
      authUrl: string;
      auth: KeystoneAuth;
      /** Catalog interface: `public` (default), `internal` or `admin` (`OS_INTERFACE`). */
      interface: 'public' | 'internal' | 'admin';
      /** Catalog region (`OS_REGION_NAME`); any when unset. */
      region?: string;
      /** The clouds.yaml entry used, for messages. */
      cloud?: string;
    };

/** The standard clouds.yaml search path (openstacksdk `CONFIG_FILES`): `OS_CLIENT_CONFIG_FILE`, ./, ~/.config/openstack/, /etc/openstack/. */
export function cloudsYamlPaths(env: NodeJS.ProcessEnv, cwd = process.cwd(), home = os.homedir()): string[] {
  const files = [path.join(cwd, 'clouds.yaml'), path.join(home, '.config/openstack/clouds.yaml'), '/etc/openstack/clouds.yaml'];
  return env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE, ...files] : files;
}

const optS = z.string().max(1024).optional();
const ZCloud = z.object({
  auth_type: optS,
  region_name: optS,
  interface: optS,
  auth: z
    .object({
      auth_url: optS,
      username: optS,
      password: optS,
      project_name: optS,
      project_id: optS,
      user_domain_name: optS,
      project_domain_name: optS,
      application_credential_id: optS,
      application_credential_secret: optS,
    })
    .loose()
    .default({}),
});
const ZCloudsYaml = z.object({ clouds: z.record(z.string(), ZCloud) });

/** Settings as `OS_*` names, merged from clouds.yaml and the environment (the environment wins for region and interface). */
type Settings = Partial<
  Record<
    | 'AUTH_URL'
    | 'AUTH_TYPE'
    | 'USERNAME'
    | 'PASSWORD'
    | 'PROJECT_NAME'
    | 'PROJECT_ID'
    | 'USER_DOMAIN_NAME'
    | 'PROJECT_DOMAIN_NAME'
    | 'APPLICATION_CREDENTIAL_ID'
    | 'APPLICATION_CREDENTIAL_SECRET'
    | 'REGION_NAME'
    | 'INTERFACE',
    string
  >
>;

function fromCloud(file: string, name: string): Settings {
  const parsed = ZCloudsYaml.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a clouds.yaml (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const c = parsed.data.clouds[name];
  if (!c) throw new Error(`${file}: no cloud "${name}" (has ${Object.keys(parsed.data.clouds).join(', ') || 'none'})`);
  const a = c.auth;
  return {
    AUTH_URL: a.auth_url,
    AUTH_TYPE: c.auth_type,
    USERNAME: a.username,
    PASSWORD: a.password,
    PROJECT_NAME: a.project_name,
    PROJECT_ID: a.project_id,
    USER_DOMAIN_NAME: a.user_domain_name,
    PROJECT_DOMAIN_NAME: a.project_domain_name,
    APPLICATION_CREDENTIAL_ID: a.application_credential_id,
    APPLICATION_CREDENTIAL_SECRET: a.application_credential_secret,
    REGION_NAME: c.region_name,
    INTERFACE: c.interface,
  };
}

function fromEnv(env: NodeJS.ProcessEnv): Settings {
  const out: Settings = {};
  for (const k of [
    'AUTH_URL',
    'AUTH_TYPE',
    'USERNAME',
    'PASSWORD',
    'PROJECT_NAME',
    'PROJECT_ID',
    'USER_DOMAIN_NAME',
    'PROJECT_DOMAIN_NAME',
    'APPLICATION_CREDENTIAL_ID',
    'APPLICATION_CREDENTIAL_SECRET',
    'REGION_NAME',
    'INTERFACE',
  ] as const) {
    const v = env[`OS_${k}`];
    if (v) out[k] = v;
  }
  return out;
}

function httpUrl(v: string, what: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`${what}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${what}: must be http(s)`);
  if (u.username || u.password) throw new Error(`${what}: credentials do not belong in the URL`);
  return u.toString().replace(/\/+$/, '');
}

/**
 * The API to poll, or null when none is configured: `endpoint` (from `--neutron-api`) first, else
 * `OS_CLOUD` (clouds.yaml on the standard path, `OS_*` overriding region and interface), else
 * `OS_AUTH_URL` with the other `OS_*` variables.
 * @throws Error naming what is missing or malformed (never quoting a secret)
 */
export function resolveNeutronApiConfig(opts: { endpoint?: string; env?: NodeJS.ProcessEnv; cwd?: string; home?: string }): NeutronApiConfig | null {
  const env = opts.env ?? process.env;
  if (opts.endpoint) return { kind: 'endpoint', url: httpUrl(opts.endpoint, '--neutron-api') };
  let s: Settings;
  let cloud: string | undefined;
  if (env.OS_CLOUD) {
    cloud = env.OS_CLOUD;
    const file = cloudsYamlPaths(env, opts.cwd, opts.home).find((f) => existsSync(f));
    if (!file) throw new Error(`OS_CLOUD=${cloud}: no clouds.yaml in ${cloudsYamlPaths(env, opts.cwd, opts.home).join(', ')}`);
    const envS = fromEnv(env);
    s = { ...fromCloud(file, cloud), ...(envS.REGION_NAME ? { REGION_NAME: envS.REGION_NAME } : {}), ...(envS.INTERFACE ? { INTERFACE: envS.INTERFACE } : {}) };
  } else if (env.OS_AUTH_URL) {
    s = fromEnv(env);
  } else return null;
  const where = cloud ? `cloud "${cloud}"` : 'OS_* variables';
  if (!s.AUTH_URL) throw new Error(`${where}: no auth_url`);
  const iface = (s.INTERFACE ?? 'public').replace(/URL$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') throw new Error(`${where}: interface must be public, internal or admin`);
  const type = s.AUTH_TYPE ?? (s.APPLICATION_CREDENTIAL_ID ? 'v3applicationcredential' : 'password');
  let auth: KeystoneAuth;
  if (type === 'v3applicationcredential') {
    if (!s.APPLICATION_CREDENTIAL_ID || !s.APPLICATION_CREDENTIAL_SECRET) throw new Error(`${where}: application credential id and secret are both needed`);
    auth = { type, id: s.APPLICATION_CREDENTIAL_ID, secret: s.APPLICATION_CREDENTIAL_SECRET };
  } else if (type === 'password' || type === 'v3password') {
    if (!s.USERNAME || !s.PASSWORD) throw new Error(`${where}: username and password are both needed`);
    if (!s.PROJECT_NAME && !s.PROJECT_ID) throw new Error(`${where}: a project (name or id) is needed to scope the token`);
    auth = {
      type: 'password',
      username: s.USERNAME,
      password: s.PASSWORD,
      userDomainName: s.USER_DOMAIN_NAME ?? 'Default',
      projectName: s.PROJECT_NAME,
      projectId: s.PROJECT_ID,
      projectDomainName: s.PROJECT_DOMAIN_NAME ?? 'Default',
    };
  } else throw new Error(`${where}: auth_type ${type} is not supported (password, v3applicationcredential)`);
  return { kind: 'keystone', authUrl: httpUrl(s.AUTH_URL, `${where} auth_url`), auth, interface: iface, region: s.REGION_NAME, cloud };
}
