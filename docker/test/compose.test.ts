/**
 * docker/compose.yaml validated without a Docker engine: services, depends_on, env names the apps
 * read, ports, the active/standby workers, the shared PostgreSQL URL, docker/.env.example; and,
 * when Debian's docker-compose is installed, `docker-compose config`. Each check is also run on a
 * broken copy to prove it can fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComposeFile, checkCompose, envOf, parseCompose, portsOf, requiredVariables, resolveCompose } from './checks';
import { DOCKER_DIR, ROOT, COMPOSE, ENV_EXAMPLE, WORKER_DEFAULT_PORT, workerEnvRead, webEnvRead, COMPOSE_EXPECT, clone } from './expectations';

describe('compose.yaml', () => {
  it('passes every check with docker/.env.example', () => {
    expect(checkCompose(COMPOSE, ENV_EXAMPLE, COMPOSE_EXPECT)).toEqual([]);
  });

  it('the apps read the variables compose sets (worker, web)', () => {
    for (const v of ['AMQP_URL', 'DATABASE_URL', 'L2SCOPE_LIVE_PORT', 'L2SCOPE_LIVE_HOST', 'L2SCOPE_WORKER_TOKEN', 'L2SCOPE_WEB_ORIGINS'])
      expect(workerEnvRead).toContain(v);
    for (const v of ['DATABASE_URL', 'L2SCOPE_WORKER_URL']) expect(webEnvRead).toContain(v);
  });

  it("ports: the web is published where the image and the app's default say; the worker is not published, the web reaches it on the compose network and holds no worker token (the worker checks the browser's session)", () => {
    for (const publish of [undefined, '4556']) {
      const env = { ...ENV_EXAMPLE, L2SCOPE_WEB_PUBLISH: publish };
      const doc = resolveCompose(COMPOSE, env);
      const worker = doc.services.worker!;
      const web = doc.services.web!;
      const [bp] = portsOf(web);
      expect(portsOf(worker)).toEqual([]);
      expect(Number(envOf(worker).L2SCOPE_LIVE_PORT)).toBe(WORKER_DEFAULT_PORT);
      expect(envOf(worker).L2SCOPE_LIVE_HOST).toBe('0.0.0.0');
      expect(envOf(web).L2SCOPE_WORKER_URL).toBe(`http://workers:${WORKER_DEFAULT_PORT}`);
      expect(envOf(web).L2SCOPE_WORKER_TOKEN).toBeUndefined();
      expect(envOf(web).L2SCOPE_AUTH_SECRET).toBe(envOf(worker).L2SCOPE_AUTH_SECRET);
      expect(bp?.container).toBe(3000);
      expect(envOf(web).PORT).toBe('3000');
      expect(bp?.host).toBe(publish ?? ENV_EXAMPLE.L2SCOPE_WEB_PUBLISH);
    }
  });

  it("two workers, one active and one standby (docs/operations.md#failover): the same image, command, database, broker and Redis, both behind the web's `workers` name, neither published", () => {
    const doc = resolveCompose(COMPOSE, ENV_EXAMPLE);
    const [a, b] = [doc.services.worker!, doc.services['worker-2']!];
    expect(b.image).toBe(a.image);
    expect(b.command).toEqual(a.command);
    expect(envOf(b)).toEqual(envOf(a));
    expect(new URL(envOf(a).DATABASE_URL!).protocol).toBe('postgresql:'); // the advisory lock needs PostgreSQL
    const redis = new URL(envOf(a).REDIS_URL!);
    expect(redis.hostname).toBe('redis');
    expect(doc.services.redis).toBeDefined();
    expect(portsOf(doc.services.redis!)).toEqual([]);
    const aliases = (s: typeof a) => (s as { networks?: { default?: { aliases?: string[] } } }).networks?.default?.aliases ?? [];
    const host = new URL(envOf(doc.services.web!).L2SCOPE_WORKER_URL!).hostname;
    expect(aliases(a)).toContain(host);
    expect(aliases(b)).toContain(host);
    expect(portsOf(b)).toEqual([]);
    expect(a.restart).toBe('unless-stopped');
    expect(b.restart).toBe('unless-stopped');
  });

  it('the worker and the web share one PostgreSQL URL that matches the postgres service', () => {
    const doc = resolveCompose(COMPOSE, ENV_EXAMPLE);
    const w = envOf(doc.services.worker!).DATABASE_URL!;
    expect(envOf(doc.services.web!).DATABASE_URL).toBe(w);
    const u = new URL(w);
    const pg = envOf(doc.services.postgres!);
    expect(u.protocol).toBe('postgresql:');
    expect(u.hostname).toBe('postgres');
    expect(u.port).toBe('5432');
    expect(u.username).toBe(pg.POSTGRES_USER);
    expect(u.password).toBe(pg.POSTGRES_PASSWORD);
    expect(u.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('docker/.env.example sets every required variable, and its AMQP_URL is the tap user on the bundled broker', () => {
    for (const v of requiredVariables(COMPOSE)) expect(ENV_EXAMPLE, v).toHaveProperty(v);
    const u = new URL(ENV_EXAMPLE.AMQP_URL!);
    expect(u.protocol).toBe('amqp:');
    expect(u.hostname).toBe('rabbitmq');
    expect(u.username).toBe(ENV_EXAMPLE.L2SCOPE_TAP_USER);
    expect(u.password).toBe(ENV_EXAMPLE.L2SCOPE_TAP_PASSWORD);
    // placeholders, visibly local-only
    for (const k of ['POSTGRES_PASSWORD', 'RABBITMQ_ADMIN_PASSWORD', 'L2SCOPE_TAP_PASSWORD']) expect(ENV_EXAMPLE[k]).toMatch(/^local-only-.*change-me$/);
  });

  it('the worker never falls back to the in-process replay: AMQP_URL is required', () => {
    expect((COMPOSE.services.worker!.environment as Record<string, string>).AMQP_URL).toMatch(/^\$\{AMQP_URL:\?/);
    expect(checkCompose(COMPOSE, { ...ENV_EXAMPLE, AMQP_URL: undefined }, COMPOSE_EXPECT)).toEqual([
      expect.stringContaining('required variable AMQP_URL is missing'),
    ]);
  });

  describe('fails on a broken copy', () => {
    const problems = (mutate: (d: ComposeFile) => void) => {
      const d = clone(COMPOSE);
      mutate(d);
      return checkCompose(d, ENV_EXAMPLE, COMPOSE_EXPECT);
    };
    const build = (d: ComposeFile, s: string) => d.services[s]!.build as { context: string; dockerfile: string; target: string };

    it('a build target, dockerfile or context that does not exist', () => {
      expect(problems((d) => void (build(d, 'web').target = 'webb'))).toContainEqual(expect.stringContaining('web: target webb is not a stage'));
      expect(problems((d) => void (build(d, 'web').dockerfile = 'docker/Dockerfile.web'))).toContainEqual(
        expect.stringContaining('dockerfile docker/Dockerfile.web does not exist'),
      );
      expect(problems((d) => void (build(d, 'web').context = '.'))).toContainEqual(expect.stringContaining('is not the repository root'));
    });

    it('a weaker depends_on, a dependency without health check, a restarting one-shot job', () => {
      expect(
        problems((d) => void ((d.services.worker!.depends_on as Record<string, { condition: string }>).postgres!.condition = 'service_started')),
      ).toContain('worker: depends_on postgres should be service_healthy (is service_started)');
      expect(problems((d) => void delete d.services.postgres!.healthcheck)).toContainEqual(
        expect.stringContaining('waits for postgres to be healthy, but postgres has no health check'),
      );
      expect(problems((d) => void (d.services['rabbitmq-init']!.restart = 'on-failure'))).toContainEqual(expect.stringContaining('but rabbitmq-init restarts'));
    });

    it('an env var the app does not read, or a missing one', () => {
      expect(
        problems((d) => {
          const e = d.services.web!.environment as Record<string, string>;
          e.L2SCOPE_WORKER_URLL = e.L2SCOPE_WORKER_URL!;
          delete e.L2SCOPE_WORKER_URL;
        }),
      ).toEqual(expect.arrayContaining(['web: sets L2SCOPE_WORKER_URLL, which its program never reads', 'web: does not set L2SCOPE_WORKER_URL']));
    });

    it('a literal password', () => {
      expect(problems((d) => void ((d.services.postgres!.environment as Record<string, string>).POSTGRES_PASSWORD = 'hunter2'))).toContainEqual(
        expect.stringContaining('postgres: POSTGRES_PASSWORD must come from a required variable'),
      );
      expect(
        problems((d) => void ((d.services.worker!.environment as Record<string, string>).DATABASE_URL = 'postgresql://l2scope:hunter2@postgres:5432/l2scope')),
      ).toContainEqual(expect.stringContaining('worker: DATABASE_URL embeds a password'));
    });

    it('data outside a named volume', () => {
      expect(problems((d) => void (d.services.postgres!.volumes = ['./pgdata:/var/lib/postgresql/data']))).toContain(
        'postgres: /var/lib/postgresql/data is not on a named volume',
      );
    });
  });
});

// Debian's docker-compose 1.29 validates offline; L2SCOPE_DOCKER_COMPOSE names another binary
const COMPOSE_BIN = process.env.L2SCOPE_DOCKER_COMPOSE || 'docker-compose';
const compose = spawnSync(COMPOSE_BIN, ['version', '--short'], { encoding: 'utf8' });
const hasCompose = !compose.error && compose.status === 0;
if (!hasCompose) console.warn(`${COMPOSE_BIN} not installed: skipping the \`docker-compose config\` tests (apt-get install -y docker-compose to run them)`);

describe.skipIf(!hasCompose)(`docker-compose ${hasCompose ? compose.stdout.trim() : '(absent)'} config`, () => {
  let tmp = '';
  let emptyEnv = '';
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-compose-'));
    emptyEnv = path.join(tmp, 'empty.env');
    writeFileSync(emptyEnv, '');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  // a clean environment: only what the env file provides counts
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in ENV_EXAMPLE) && !/^(COMPOSE_|DOCKER_)/.test(k)));
  const run = (...args: string[]) =>
    spawnSync(COMPOSE_BIN, ['-f', path.join(DOCKER_DIR, 'compose.yaml'), ...args], { encoding: 'utf8', env: cleanEnv, cwd: tmp });

  it('accepts the file with docker/.env.example (-q)', () => {
    const r = run('--env-file', path.join(DOCKER_DIR, '.env.example'), 'config', '-q');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses to run without the required secrets', () => {
    const r = run('--env-file', emptyEnv, 'config', '-q');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set (RABBITMQ_ADMIN_PASSWORD|POSTGRES_PASSWORD|L2SCOPE_TAP_PASSWORD|AMQP_URL)/);
  });

  it('resolves builds to the repository root; neutron-sim only in the demo profile; the secrets land where expected', () => {
    const r = run('--env-file', path.join(DOCKER_DIR, '.env.example'), '--profile', 'demo', 'config');
    expect(r.status).toBe(0);
    const doc = parseCompose(r.stdout);
    expect(Object.keys(doc.services).sort()).toEqual(['neutron-sim', 'postgres', 'rabbitmq', 'rabbitmq-init', 'redis', 'web', 'worker', 'worker-2']);
    for (const s of ['worker', 'worker-2', 'rabbitmq-init', 'neutron-sim', 'web'])
      expect((doc.services[s]!.build as { context: string }).context, s).toBe(ROOT);
    expect(doc.services['neutron-sim']!.profiles).toEqual(['demo']);
    for (const [name, s] of Object.entries(doc.services)) if (name !== 'neutron-sim') expect(s.profiles, name).toBeUndefined();
    expect(envOf(doc.services.worker!).AMQP_URL).toBe(ENV_EXAMPLE.AMQP_URL);
    expect(envOf(doc.services.worker!).DATABASE_URL).toBe(`postgresql://l2scope:${ENV_EXAMPLE.POSTGRES_PASSWORD}@postgres:5432/l2scope`);
    // the second worker resolves to the same settings (the YAML anchor survives compose's own parser)
    expect(envOf(doc.services['worker-2']!)).toEqual(envOf(doc.services.worker!));
    expect(envOf(doc.services['rabbitmq-init']!).L2SCOPE_TAP_PASSWORD).toBe(ENV_EXAMPLE.L2SCOPE_TAP_PASSWORD);
  });
});
