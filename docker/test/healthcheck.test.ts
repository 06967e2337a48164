/**
 * docker/healthcheck.mjs (worker, web) against real HTTP servers and docker/agent-healthcheck.mjs
 * against real status files, run as the images' HEALTHCHECK runs them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execForm, parseDockerfile, stageEnv } from './checks';
import { DOCKERFILE, runNode } from './expectations';

describe('docker/healthcheck.mjs', () => {
  let server: http.Server;
  let port = 0;
  let status = 200;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404);
      res.end(JSON.stringify({ ok: status === 200 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const probe = (env: Record<string, string>, ...args: string[]) => runNode(['docker/healthcheck.mjs', ...args], env);

  it('exits 0 on 2xx on the port named by the env var, 1 on 503 / 404 / refused / bad port', async () => {
    status = 200;
    expect((await probe({ L2SCOPE_LIVE_PORT: String(port) }, '/healthz', 'L2SCOPE_LIVE_PORT', '1')).code).toBe(0);
    // the default port applies when the variable is unset
    expect((await probe({}, '/healthz', 'L2SCOPE_LIVE_PORT', String(port))).code).toBe(0);
    status = 503;
    const down = await probe({ L2SCOPE_LIVE_PORT: String(port) }, '/healthz', 'L2SCOPE_LIVE_PORT', '3001');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('503');
    expect((await probe({ PORT: String(port) }, '/', 'PORT', '3000')).code).toBe(1);
    expect((await probe({ PORT: '1' }, '/', 'PORT', '3000')).code).toBe(1);
    expect((await probe({ PORT: 'http' }, '/', 'PORT', '3000')).code).toBe(1);
  });
});

describe("docker/agent-healthcheck.mjs as the agent image's HEALTHCHECK runs it", () => {
  const agent = parseDockerfile(DOCKERFILE).stages.find((s) => s.name === 'agent')!;
  const env = Object.fromEntries(stageEnv(agent));
  const cmd = execForm(agent.instrs.find((i) => i.keyword === 'HEALTHCHECK')!.content.replace(/^CMD\s+/i, ''))!;
  let tmp = '';
  let file = '';
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-agent-hc-'));
    file = path.join(tmp, 'status.json');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  // the image's environment, but the status file in a temporary directory
  const probe = (extra: Record<string, string | undefined> = {}) => runNode(cmd.slice(1), { ...env, L2SCOPE_AGENT_STATUS_FILE: file, ...extra });
  const status = (ageS: number | null, intervalS = 30) =>
    writeFileSync(
      file,
      JSON.stringify({
        schema: 'l2scope.agent-status/1',
        host: 'compute1',
        intervalS,
        brokerConnected: true,
        seq: 7,
        lastConfirmedAt: ageS === null ? null : new Date(Date.now() - ageS * 1000).toISOString(),
        bum: { state: 'capturing' },
      }),
    );

  it('exits 0 on a fresh file, 1 on a stale or missing one (threshold from the ENV the image sets)', async () => {
    expect(cmd[0]).toBe('node');
    const limit = Number(env.L2SCOPE_AGENT_STALE_AFTER_S);
    rmSync(file, { force: true });
    const missing = await probe();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    status(5);
    const fresh = await probe();
    expect(fresh.stderr).toBe('');
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/last confirmed snapshot 5 s ago \(limit 90 s\): seq 7, broker connected, bum capturing/);
    status(limit + 5);
    const stale = await probe();
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`(limit ${limit} s)`);
    // the variable, not the baked-in default, decides
    expect((await probe({ L2SCOPE_AGENT_STALE_AFTER_S: String(limit + 60) })).code).toBe(0);
    expect((await probe({ L2SCOPE_AGENT_STALE_AFTER_S: 'soon' })).code).toBe(1);
    // without the variable there is no file to look at
    expect((await probe({ L2SCOPE_AGENT_STATUS_FILE: undefined })).stderr).toContain('L2SCOPE_AGENT_STATUS_FILE is not set');
  });
});
