/** Where the worker finds Neutron's API: flag, clouds.yaml on the standard path, OS_* variables; and the poll's backoff. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveNeutronApiConfig } from '../../src/neutron-api/config';
import { identityV3 } from '../../src/neutron-api/keystone';
import { v2Base } from '../../src/neutron-api/fetch';
import { pollDelay } from '../../src/neutron-api/poller';

const CLOUDS = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example.net:5000/v3
      username: l2scope
      password: pw-from-yaml
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.net:5000
      application_credential_id: abc
      application_credential_secret: sec
`;

function dirs() {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'l2scope-clouds-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'l2scope-home-'));
  return { cwd, home };
}

describe('resolveNeutronApiConfig', () => {
  it('takes --neutron-api as a noauth endpoint first, and nothing without flag or OS_* variables', () => {
    expect(resolveNeutronApiConfig({ endpoint: 'http://127.0.0.1:9696/', env: { OS_CLOUD: 'x' } })).toEqual({ kind: 'endpoint', url: 'http://127.0.0.1:9696' });
    expect(resolveNeutronApiConfig({ env: {} })).toBeNull();
    expect(() => resolveNeutronApiConfig({ endpoint: 'http://u:p@h:9696' })).toThrow(/credentials do not belong/);
  });

  it('reads OS_CLOUD from ~/.config/openstack/clouds.yaml, the environment overriding region and interface', () => {
    const { cwd, home } = dirs();
    mkdirSync(path.join(home, '.config/openstack'), { recursive: true });
    writeFileSync(path.join(home, '.config/openstack/clouds.yaml'), CLOUDS);
    const c = resolveNeutronApiConfig({ env: { OS_CLOUD: 'prod', OS_INTERFACE: 'public' }, cwd, home });
    expect(c).toMatchObject({ kind: 'keystone', authUrl: 'https://keystone.example.net:5000/v3', interface: 'public', region: 'RegionOne', cloud: 'prod' });
    expect(c?.kind === 'keystone' && c.auth).toMatchObject({ type: 'password', username: 'l2scope', projectName: 'admin' });
    // ./clouds.yaml comes first
    writeFileSync(path.join(cwd, 'clouds.yaml'), CLOUDS.replace('pw-from-yaml', 'pw-local'));
    const local = resolveNeutronApiConfig({ env: { OS_CLOUD: 'prod' }, cwd, home });
    expect(local?.kind === 'keystone' && local.auth.type === 'password' && local.auth.password).toBe('pw-local');
    expect(local?.kind === 'keystone' && local.interface).toBe('internal');
    const app = resolveNeutronApiConfig({ env: { OS_CLOUD: 'appcred' }, cwd, home });
    expect(app?.kind === 'keystone' && app.auth).toEqual({ type: 'v3applicationcredential', id: 'abc', secret: 'sec' });
    expect(() => resolveNeutronApiConfig({ env: { OS_CLOUD: 'nope' }, cwd, home })).toThrow(/no cloud "nope" \(has prod, appcred\)/);
  });

  it('reads OS_AUTH_URL with a password or an application credential, and says what is missing without quoting secrets', () => {
    const c = resolveNeutronApiConfig({
      env: { OS_AUTH_URL: 'http://ks:5000', OS_USERNAME: 'u', OS_PASSWORD: 'hunter2', OS_PROJECT_NAME: 'p', OS_REGION_NAME: 'R2' },
    });
    expect(c).toMatchObject({
      kind: 'keystone',
      interface: 'public',
      region: 'R2',
      auth: { type: 'password', userDomainName: 'Default', projectDomainName: 'Default' },
    });
    const app = resolveNeutronApiConfig({
      env: { OS_AUTH_URL: 'http://ks:5000', OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: 'i', OS_APPLICATION_CREDENTIAL_SECRET: 's' },
    });
    expect(app?.kind === 'keystone' && app.auth.type).toBe('v3applicationcredential');
    let msg = '';
    try {
      resolveNeutronApiConfig({ env: { OS_AUTH_URL: 'http://ks:5000', OS_USERNAME: 'u', OS_PASSWORD: 'hunter2' } });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toBe('OS_* variables: a project (name or id) is needed to scope the token');
    expect(() => resolveNeutronApiConfig({ env: { OS_AUTH_URL: 'http://ks:5000', OS_AUTH_TYPE: 'token' } })).toThrow(/auth_type token is not supported/);
  });
});

describe('URLs and backoff', () => {
  it('finds the v3 root and the v2.0 base whatever the catalog says', () => {
    expect(identityV3('https://k:5000')).toBe('https://k:5000/v3');
    expect(identityV3('https://k:5000/v3/')).toBe('https://k:5000/v3');
    expect(v2Base('http://n:9696/')).toBe('http://n:9696/v2.0');
    expect(v2Base('http://n:9696/v2.0')).toBe('http://n:9696/v2.0');
  });

  it('polls on the interval when healthy, backs off doubling from the base after failures, capped', () => {
    expect(pollDelay(0, 60_000)).toBe(60_000);
    expect([1, 2, 3, 4].map((n) => pollDelay(n, 60_000))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(pollDelay(20, 60_000)).toBe(600_000);
    expect(pollDelay(1000, 60_000)).toBe(600_000);
  });
});
