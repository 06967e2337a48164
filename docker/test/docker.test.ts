/**
 * docker/ validated without a Docker engine: the Dockerfile and compose file against the
 * repository and the apps (stages, COPY sources, users, health checks, ports, env names,
 * depends_on), the RabbitMQ tap permissions against the test kit's TAP_LEAST_PRIVILEGE, the
 * provisioning script against a fake management API, the health probe against real HTTP servers,
 * the demo publisher + least-privilege tap on the real local RabbitMQ, and, when Debian's
 * docker-compose is installed, `docker-compose config`. Each check is also run on a broken copy
 * to prove it can fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_AGENT_WIRE, NODE_COMMANDS, NODE_EXCHANGE, WORKER_PERMISSIONS, nodeAgentTopicPattern, tapBindings } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestVhost, createTestVhost } from '@l2scope/testkit';
import { AmqpTap, DEFAULT_CAPTURE, exchangeFor, readCapture } from '@l2scope/worker';
import {
  type ComposeExpectations,
  type ComposeFile,
  type DockerfileExpectations,
  checkCompose,
  aptInstalled,
  checkDockerfile,
  envNamesRead,
  execForm,
  importClosure,
  envOf,
  parseCompose,
  parseDockerfile,
  parseEnvFile,
  portsOf,
  repoFacts,
  requiredVariables,
  resolveCompose,
  sourceFiles,
  stageEnv,
} from './checks';

const DOCKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(DOCKER_DIR, '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

const DOCKERFILE = read('docker/Dockerfile');
const COMPOSE_TEXT = read('docker/compose.yaml');
const COMPOSE = parseCompose(COMPOSE_TEXT);
const ENV_EXAMPLE = parseEnvFile(read('docker/.env.example'));
const repo = repoFacts(ROOT);

/** The worker CLI's default live port, read from its source (`?? 3001`). */
const WORKER_DEFAULT_PORT = Number(/L2SCOPE_LIVE_PORT \?\? (\d+)/.exec(read('apps/worker/src/main.ts'))?.[1]);
/** The capture the worker replays by default, relative to the repository. */
const DEFAULT_CAPTURE_REL = path.relative(ROOT, DEFAULT_CAPTURE).split(path.sep).join('/');

/**
 * What the node agent loads at run time, followed from its entry point (relative imports and
 * workspace packages): every file must be in the image, every bare package in its node_modules.
 */
const AGENT_ENTRY = 'apps/agent/src/main.ts';
const AGENT_CLOSURE = importClosure(ROOT, AGENT_ENTRY, repo.workspaces);
const agentSources = sourceFiles(ROOT, ['apps/agent/src'])
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');
/**
 * The executables the agent runs: NODE_COMMANDS (collection), and what its sources name in
 * `runCommand([...])`, `new TriggerMonitor([...])` and `which(... 'x')` (addresses, monitors, tcpdump).
 */
const AGENT_EXECS = new Set([
  ...Object.values(NODE_COMMANDS).map((argv) => argv[0] as string),
  ...[...agentSources.matchAll(/(?:runCommand|TriggerMonitor)\(\s*\[\s*'([\w-]+)'/g)].map((m) => m[1]!),
  ...[...agentSources.matchAll(/\bwhich\([^,)]*'([\w-]+)'/g)].map((m) => m[1]!),
]);
/**
 * Where Debian 12 (the node:20-bookworm-slim base) ships each executable the agent runs, as the
 * packages list them (`dpkg -L` / `dpkg -c` of bookworm's packages: iproute2 6.1.0-3, tcpdump 4.99.3-1,
 * openvswitch-common and -switch 3.1.0-2+deb12u1). ovs-vsctl is in openvswitch-switch, next to
 * the daemons, so the image extracts just that binary from it.
 */
const DEBIAN_EXECS: Record<string, { path: string; package: string; extracted?: true }> = {
  ip: { path: '/bin/ip', package: 'iproute2' }, // (+ /sbin/ip -> /bin/ip; the base image has a merged /usr)
  bridge: { path: '/sbin/bridge', package: 'iproute2' },
  tcpdump: { path: '/usr/bin/tcpdump', package: 'tcpdump' },
  'ovs-ofctl': { path: '/usr/bin/ovs-ofctl', package: 'openvswitch-common' },
  'ovs-vsctl': { path: '/usr/bin/ovs-vsctl', package: 'openvswitch-switch', extracted: true },
};
const AGENT_STATUS_ENV = ['L2SCOPE_AGENT_STATUS_FILE', 'L2SCOPE_AGENT_STALE_AFTER_S'];

const DF_EXPECT: DockerfileExpectations = {
  appDir: '/app',
  targets: {
    worker: {
      listens: { port: WORKER_DEFAULT_PORT, portEnv: 'L2SCOPE_LIVE_PORT', healthPath: '/healthz' },
      files: [
        'apps/worker/src/main.ts',
        DEFAULT_CAPTURE_REL,
        // @l2scope/db finds the repository root by package.json ("workspaces") + prisma/models.prisma
        'package.json',
        'prisma/models.prisma',
        'prisma/postgresql/migrations',
        'prisma/sqlite/migrations',
        'packages/db/src/index.ts',
        'packages/domain/src/index.ts',
        'docker/rabbitmq/provision.mjs',
        'docker/rabbitmq/tap-permissions.json',
        'docker/demo/replay.ts',
        'docker/healthcheck.mjs',
      ],
    },
    web: {
      listens: { port: 3000, portEnv: 'PORT', healthPath: '/login' },
      files: ['apps/web/next.config.ts', 'apps/web/package.json', 'package.json', 'prisma/models.prisma', 'docker/healthcheck.mjs'],
    },
    // the node agent: no port (it only publishes); healthy while its status file is fresh
    agent: {
      listens: null,
      healthEnv: AGENT_STATUS_ENV,
      files: [...AGENT_CLOSURE.files, 'package.json', 'docker/agent-healthcheck.mjs'],
      debian: [
        ...new Set([...AGENT_EXECS].filter((c) => !DEBIAN_EXECS[c]?.extracted).map((c) => DEBIAN_EXECS[c]?.package ?? `(no Debian package known for ${c})`)),
      ],
      debianExtracts: Object.fromEntries(
        [...AGENT_EXECS].filter((c) => DEBIAN_EXECS[c]?.extracted).map((c) => [DEBIAN_EXECS[c]!.path, DEBIAN_EXECS[c]!.package]),
      ),
      fileCaps: { [DEBIAN_EXECS.tcpdump!.path]: 'cap_net_raw+ep' },
    },
  },
  buildOutputs: {
    'apps/web/.next': /turbo\s+run\s+build\b[^\n]*--filter=@l2scope\/web/,
    'packages/db/src/generated': /db:generate/,
  },
  runOutputs: { '/app/node_modules': /\bnpm\s+install\b/ },
};

const workerEnvRead = envNamesRead(sourceFiles(ROOT, ['apps/worker/src', 'packages/auth/src', 'packages/db/src', 'packages/domain/src']));
const webEnvRead = envNamesRead(
  sourceFiles(ROOT, ['apps/web/app', 'apps/web/src', 'apps/web/proxy.ts', 'packages/api/src', 'packages/auth/src', 'packages/db/src', 'packages/domain/src']),
);

const COMPOSE_EXPECT: ComposeExpectations = {
  composeDir: DOCKER_DIR,
  repoRoot: ROOT,
  services: ['rabbitmq', 'rabbitmq-init', 'postgres', 'redis', 'worker', 'worker-2', 'web', 'neutron-sim'],
  dependsOn: {
    'rabbitmq-init': { rabbitmq: 'service_healthy' },
    worker: { rabbitmq: 'service_healthy', postgres: 'service_healthy', 'rabbitmq-init': 'service_completed_successfully', redis: 'service_healthy' },
    'worker-2': { rabbitmq: 'service_healthy', postgres: 'service_healthy', 'rabbitmq-init': 'service_completed_successfully', redis: 'service_healthy' },
    web: { postgres: 'service_healthy', worker: 'service_started' },
    'neutron-sim': { rabbitmq: 'service_healthy' },
  },
  requiredEnv: {
    worker: ['AMQP_URL', 'DATABASE_URL', 'L2SCOPE_LIVE_PORT', 'L2SCOPE_LIVE_HOST', 'L2SCOPE_WORKER_TOKEN', 'L2SCOPE_WEB_ORIGINS', 'REDIS_URL'],
    'worker-2': ['AMQP_URL', 'DATABASE_URL', 'L2SCOPE_LIVE_PORT', 'L2SCOPE_LIVE_HOST', 'L2SCOPE_WORKER_TOKEN', 'L2SCOPE_WEB_ORIGINS', 'REDIS_URL'],
    web: ['DATABASE_URL', 'PORT', 'L2SCOPE_WORKER_URL', 'L2SCOPE_AUTH_SECRET'],
    'rabbitmq-init': ['RABBITMQ_API_URL', 'RABBITMQ_ADMIN_PASSWORD', 'L2SCOPE_TAP_USER', 'L2SCOPE_TAP_PASSWORD'],
    'neutron-sim': ['NEUTRON_AMQP_URL', 'DEMO_CAPTURE'],
    postgres: ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB'],
    rabbitmq: ['RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_PASS'],
  },
  allowedEnv: {
    worker: new Set([...workerEnvRead, 'NODE_ENV']),
    'worker-2': new Set([...workerEnvRead, 'NODE_ENV']),
    redis: new Set(),
    // PORT and HOSTNAME are read by `next start` itself
    web: new Set([...webEnvRead, 'PORT', 'HOSTNAME', 'NODE_ENV']),
    'rabbitmq-init': envNamesRead([path.join(ROOT, 'docker/rabbitmq/provision.mjs')]),
    'neutron-sim': envNamesRead([path.join(ROOT, 'docker/demo/replay.ts')]),
    // the official images' documented variables
    postgres: new Set(['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGDATA']),
    rabbitmq: new Set(['RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_PASS', 'RABBITMQ_DEFAULT_VHOST']),
  },
  dataVolumes: { postgres: '/var/lib/postgresql/data', rabbitmq: '/var/lib/rabbitmq' },
};

const clone = <T>(v: T): T => structuredClone(v);

// ------------------------------------------------------------------------------------------------
describe('Dockerfile', () => {
  it('passes every check against the repository', () => {
    expect(checkDockerfile(DOCKERFILE, repo, DF_EXPECT)).toEqual([]);
  });

  it('names the stages, with worker, web and agent as targets on the .nvmrc Node', () => {
    const { stages } = parseDockerfile(DOCKERFILE);
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'prod-deps', 'runtime', 'worker', 'web', 'agent-deps', 'agent']);
    expect(stages.find((s) => s.name === 'worker')?.parent?.name).toBe('runtime');
    expect(stages.find((s) => s.name === 'web')?.parent?.name).toBe('runtime');
    expect(stages.find((s) => s.name === 'runtime')?.base).toBe(`node:${repo.nodeMajor}-bookworm-slim`);
    // the agent image shares nothing with the 1 GB worker/web tree: its own slim base and deps
    for (const n of ['agent-deps', 'agent']) {
      expect(stages.find((s) => s.name === n)?.parent, n).toBeNull();
      expect(stages.find((s) => s.name === n)?.base, n).toBe(`node:${repo.nodeMajor}-bookworm-slim`);
    }
  });

  it('copies every workspace manifest the root package.json declares', () => {
    expect(repo.workspaces.length).toBeGreaterThanOrEqual(8);
    for (const w of repo.workspaces) expect(DOCKERFILE).toContain(`COPY ${w}/package.json ${w}/`);
  });

  describe('fails on a broken copy', () => {
    const problems = (text: string, r = repo) => checkDockerfile(text, r, DF_EXPECT);

    it('a COPY source that does not exist', () => {
      const p = problems(DOCKERFILE.replace('COPY apps/worker/package.json apps/worker/', 'COPY apps/wrker/package.json apps/worker/'));
      expect(p).toContainEqual(expect.stringContaining('COPY source apps/wrker/package.json does not exist'));
      expect(p).toContainEqual(expect.stringContaining('apps/worker/package.json is not copied before `npm install`'));
    });

    it('a COPY --from=build of a path missing from the repository', () => {
      expect(problems(DOCKERFILE.replace('/app/docker/demo ./docker/demo', '/app/docker/dem0 ./docker/demo'))).toContainEqual(
        expect.stringContaining('docker/dem0 does not exist in the repository'),
      );
    });

    it('a COPY --from naming no earlier stage', () => {
      expect(problems(DOCKERFILE.replace('COPY --from=prod-deps /app/ ./', 'COPY --from=prod /app/ ./'))).toContainEqual(
        expect.stringContaining('--from=prod names no earlier stage'),
      );
    });

    it('a source excluded by .dockerignore', () => {
      const p = problems(DOCKERFILE, { ...repo, dockerignore: `${repo.dockerignore}\nfixtures\n` });
      expect(p).toContainEqual(expect.stringContaining(`${DEFAULT_CAPTURE_REL} is excluded by .dockerignore`));
    });

    it('npm ci, playwright install, a wrong npm', () => {
      const p = problems(
        DOCKERFILE.replace('RUN npm install && npm cache clean --force', 'RUN npm ci && npx playwright install chromium').replace(
          'NPM_VERSION=11.19.1',
          'NPM_VERSION=10.9.0',
        ),
      );
      expect(p).toContainEqual(expect.stringContaining('npm ci refuses this lockfile'));
      expect(p).toContainEqual(expect.stringContaining('playwright install downloads a browser'));
      expect(p).toContainEqual(expect.stringContaining('NPM_VERSION=10.9.0 differs'));
    });

    it('a runtime image running as root', () => {
      const p = problems(DOCKERFILE.replace(/^USER node$/gm, 'USER root'));
      expect(p).toContain('target worker runs as root (USER root)');
      expect(p).toContain('target web runs as root (USER root)');
      expect(problems(DOCKERFILE.replace(/^USER node$/gm, ''))).toContain('target web runs as root (no USER)');
    });

    it('a missing or wrong HEALTHCHECK, a port mismatch', () => {
      const noWebHc = DOCKERFILE.replace(/HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "\/app\/docker\/healthcheck\.mjs"[^\n]*\n/, '');
      expect(noWebHc).not.toBe(DOCKERFILE);
      expect(problems(noWebHc)).toContain('target web has no HEALTHCHECK');
      expect(problems(DOCKERFILE.replace('"/healthz", "L2SCOPE_LIVE_PORT"', '"/health", "L2SCOPE_LIVE_PORT"'))).toContainEqual(
        expect.stringContaining('does not probe /healthz'),
      );
      const p = problems(DOCKERFILE.replace('ENV L2SCOPE_LIVE_PORT=3001', 'ENV L2SCOPE_LIVE_PORT=3002'));
      expect(p).toContainEqual(expect.stringContaining('ENV L2SCOPE_LIVE_PORT=3002, expected 3001'));
    });

    it('no install at all', () => {
      expect(problems(DOCKERFILE.replace(/npm install (&&|--omit=dev)/g, 'true $1'))).toContain('no RUN npm install of the workspace');
    });

    it('a runtime file left out of the image', () => {
      const p = problems(DOCKERFILE.replace('COPY --from=build /app/fixtures/lab3.jsonl ./fixtures/lab3.jsonl\n', ''));
      expect(p).toContain(`target worker: ${DEFAULT_CAPTURE_REL} is not copied into the image`);
      expect(problems(DOCKERFILE.replace('COPY --from=build /app/prisma ./prisma\n', ''))).toContain(
        'target worker: prisma/models.prisma is not copied into the image',
      );
    });

    it('a global ARG used in a stage that does not declare it', () => {
      const p = problems(DOCKERFILE.replace(/(FROM \$\{NODE_IMAGE\} AS agent-deps\n)ARG NPM_VERSION\n/, '$1'));
      expect(p).toContainEqual(expect.stringContaining('(agent-deps): uses the global ARG NPM_VERSION without `ARG NPM_VERSION`'));
    });
  });
});

// ------------------------------------------------------------------------------------------------
describe('Dockerfile: the node agent target', () => {
  const { stages } = parseDockerfile(DOCKERFILE);
  const agent = stages.find((s) => s.name === 'agent')!;
  const agentDeps = stages.find((s) => s.name === 'agent-deps')!;
  const problems = (text: string) => checkDockerfile(text, repo, DF_EXPECT).filter((p) => /agent/.test(p));
  const hcCmd = () => execForm(agent.instrs.find((i) => i.keyword === 'HEALTHCHECK')!.content.replace(/^CMD\s+/i, ''))!;

  it('runs what the agent execs, installed from Debian (the table covers every command in its sources)', () => {
    expect([...AGENT_EXECS].sort()).toEqual(['bridge', 'ip', 'ovs-ofctl', 'ovs-vsctl', 'tcpdump']);
    for (const c of AGENT_EXECS) expect(DEBIAN_EXECS, c).toHaveProperty(c);
    expect(DF_EXPECT.targets.agent!.debian).toEqual(['iproute2', 'openvswitch-common', 'tcpdump']);
    const run = agent.instrs.find((i) => i.keyword === 'RUN' && /apt-get/.test(i.content))!;
    expect(aptInstalled(run.content).sort()).toEqual(['iproute2', 'openvswitch-common', 'tcpdump']);
    // ovs-vsctl from openvswitch-switch of exactly the installed openvswitch-common's version
    expect(run.content).toMatch(/apt-get download "openvswitch-switch=\$\(dpkg-query -W -f='\$\{Version\}' openvswitch-common\)"/);
    expect(run.content).toMatch(/dpkg-deb --fsys-tarfile openvswitch-switch_\*\.deb \| tar -xf - -C \/ \.\/usr\/bin\/ovs-vsctl/);
    // the build fails if an executable is missing or tcpdump lost its capability
    for (const c of AGENT_EXECS) expect(run.content, c).toMatch(new RegExp(`\\b${c} (-V|--version)\\b`));
    expect(run.content).toContain("getcap /usr/bin/tcpdump | grep -q 'cap_net_raw=ep'");
  });

  // the base image is Debian 12: where this Debian 12 host's packages put the executables (those
  // installed here; Open vSwitch usually is not) must be the paths the table (and setcap) name
  const debian12 = (() => {
    try {
      return readFileSync('/etc/debian_version', 'utf8').startsWith('12.');
    } catch {
      return false;
    }
  })();
  it.skipIf(!debian12)('the paths of the table are those of the Debian 12 packages installed on this host (dpkg -L)', () => {
    let checked = 0;
    for (const [cmd, e] of Object.entries(DEBIAN_EXECS)) {
      const r = spawnSync('dpkg', ['-L', e.package], { encoding: 'utf8' });
      if (r.status !== 0) continue; // not installed here
      expect(r.stdout.split('\n'), `${cmd} in ${e.package}`).toContain(e.path);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(1);
  });

  it('runs as node; HEALTHCHECK = docker/agent-healthcheck.mjs on the variables the image sets and the agent reads; no EXPOSE', () => {
    expect(checkDockerfile(DOCKERFILE, repo, DF_EXPECT).filter((p) => p.includes('agent'))).toEqual([]);
    expect(agent.instrs.filter((i) => i.keyword === 'USER').map((i) => i.args[0])).toEqual(['node']);
    expect(agent.instrs.some((i) => i.keyword === 'EXPOSE')).toBe(false);
    expect(hcCmd()).toEqual(['node', 'docker/agent-healthcheck.mjs', ...AGENT_STATUS_ENV, '90']);
    // --status-file defaults to the variable the health check reads
    expect(envNamesRead(sourceFiles(ROOT, ['apps/agent/src']))).toContain('L2SCOPE_AGENT_STATUS_FILE');
    const env = stageEnv(agent);
    expect(env.get('L2SCOPE_AGENT_STATUS_FILE')).toMatch(/^\/tmp\//); // writable by node, and a tmpfs with --read-only
    // 3 full snapshots at the agent's default --interval
    const defaultInterval = Number(/'--interval <s>', '[^']*', '(\d+)'/.exec(read('apps/agent/src/main.ts'))?.[1]);
    expect(defaultInterval).toBe(30);
    expect(Number(env.get('L2SCOPE_AGENT_STALE_AFTER_S'))).toBe(3 * defaultInterval);
    expect(execForm(agent.instrs.find((i) => i.keyword === 'ENTRYPOINT')!.content)).toEqual(['node', '--import', 'tsx', AGENT_ENTRY]);
  });

  it('holds every file the entry point loads, and a node_modules with exactly the packages it imports', () => {
    expect(AGENT_CLOSURE.workspaces).toEqual(['@l2scope/domain']);
    expect(AGENT_CLOSURE.files).toContain('packages/domain/src/index.ts');
    expect(AGENT_CLOSURE.files).toContain('packages/domain/package.json');
    expect(AGENT_CLOSURE.files.filter((f) => !/^(apps\/agent|packages\/domain)\//.test(f))).toEqual([]);
    expect(AGENT_CLOSURE.packages).toEqual(['amqplib', 'commander', 'diff', 'execa', 'ini-api', 'jose', 'string-argv', 'zod']);
    // each is a dependency of the agent or of domain (what the workspace-filtered install brings) ...
    const deps = (ws: string) => Object.keys((JSON.parse(read(`${ws}/package.json`)) as { dependencies?: Record<string, string> }).dependencies ?? {});
    for (const p of AGENT_CLOSURE.packages) expect([...deps('apps/agent'), ...deps('packages/domain')], p).toContain(p);
    // ... and the agent-deps stage fails the build unless each, tsx and the workspace link are there
    const install = agentDeps.instrs.find((i) => i.keyword === 'RUN' && /npm install --omit=dev/.test(i.content))!.content;
    expect(install).toMatch(/npm install --omit=dev --workspace=@l2scope\/agent --include-workspace-root/);
    const guarded = /for m in ([^;]+); do/.exec(install)?.[1]?.trim().split(/\s+/) ?? [];
    expect(guarded.sort()).toEqual(['tsx', ...AGENT_CLOSURE.packages, ...AGENT_CLOSURE.workspaces].sort());
    // only the manifests the install needs (no other workspace's dependencies)
    const manifests = agentDeps.instrs.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.slice(0, -1));
    expect(manifests.sort()).toEqual(['apps/agent/package.json', 'package-lock.json', 'package.json', 'packages/domain/package.json']);
  });

  it("docker/README.md's hypervisor examples (docker run, compose): host network, NET_RAW only, the Neutron config read-only, options the agent has", () => {
    const readme = read('docker/README.md');
    const section = readme.slice(readme.indexOf('## Node agent on a hypervisor'), readme.indexOf('## An agent that takes admin toggles'));
    const agentFlags = new Set([...read('apps/agent/src/main.ts').matchAll(/\.option\('(--[a-z-]+)/g)].map((m) => m[1]!));
    const agentEnv = new Set([...envNamesRead(sourceFiles(ROOT, ['apps/agent/src', 'packages/domain/src'])), 'NODE_ENV']);
    // the compose snippet
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const doc = parseCompose(yaml!);
    const svc = doc.services['l2scope-agent']! as ComposeFile['services'][string] & {
      network_mode?: string;
      cap_add?: string[];
      cap_drop?: string[];
      group_add?: string[];
      security_opt?: string[];
      user?: string;
    };
    expect(svc.image).toMatch(/^l2scope\/agent:/);
    expect(svc.network_mode).toBe('host');
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toEqual(['NET_RAW']);
    expect(svc.security_opt ?? []).not.toContainEqual(expect.stringContaining('no-new-privileges'));
    expect(svc.user).toBeUndefined(); // the image's node user
    expect(svc.volumes).toEqual(['/etc/neutron:/etc/neutron:ro']);
    for (const k of Object.keys(envOf(svc))) expect(agentEnv, k).toContain(k);
    for (const a of svc.command as string[]) if (a.startsWith('--')) expect(agentFlags, a).toContain(a);
    expect(requiredVariables(doc)).toEqual(new Set(['NEUTRON_GID', 'L2SCOPE_AGENT_AMQP_URL', 'NEUTRON_HOST']));
    // the docker run examples
    const runs = [...section.matchAll(/```sh\n(docker run [\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' '));
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r).toContain('--network host');
      expect(r).toContain('-v /etc/neutron:/etc/neutron:ro');
      // each hypervisor's agent connects as its own user, l2scope-agent-<its --host> (docs/rabbitmq.md)
      expect(r).toMatch(/-e AMQP_URL='amqp:\/\/l2scope-agent-([\w.-]+):.*--host \1(\s|$)/);
      expect(r).not.toContain('no-new-privileges');
      const args = r
        .slice(r.indexOf('l2scope/agent ') + 'l2scope/agent '.length)
        .trim()
        .split(/\s+/);
      for (const a of args) if (a.startsWith('--')) expect(agentFlags, a).toContain(a);
      expect(args.slice(0, 2)).toEqual(['--host', expect.stringMatching(/^compute\d$/)]);
    }
    const [lb, ovs] = runs as [string, string];
    expect(lb).toContain('--cap-drop ALL --cap-add NET_RAW');
    expect(lb).not.toContain('--user');
    // OVS fallback: root with Docker's default capabilities (root tcpdump needs SETUID/SETGID), the OVS run dir
    expect(ovs).toContain('--user root');
    expect(ovs).not.toContain('--cap-drop');
    expect(ovs).toContain('-v /run/openvswitch:/run/openvswitch');
    expect(ovs).toContain('--ovs-rundir /run/openvswitch');
  });

  describe('fails on a broken copy', () => {
    it('running as root', () => {
      const text = DOCKERFILE.replace(/(COPY docker\/agent-healthcheck\.mjs [^\n]*\n[^\n]*\n)USER node\n/, '$1USER root\n');
      expect(text).not.toBe(DOCKERFILE);
      expect(problems(text)).toContain('target agent runs as root (USER root)');
    });

    it('a Debian package left out, recommends pulled in, apt lists kept, no apt-get update', () => {
      expect(problems(DOCKERFILE.replace('iproute2 tcpdump openvswitch-common', 'iproute2 openvswitch-common'))).toContain(
        'target agent: Debian package tcpdump is not installed (apt-get install)',
      );
      expect(problems(DOCKERFILE.replace('apt-get install -y --no-install-recommends iproute2', 'apt-get install -y iproute2'))).toContainEqual(
        expect.stringContaining('without --no-install-recommends'),
      );
      expect(problems(DOCKERFILE.replace(' \\\n && rm -rf /var/lib/apt/lists/*', ''))).toContainEqual(expect.stringContaining('the apt lists are not removed'));
      expect(problems(DOCKERFILE.replace('RUN apt-get update \\\n && apt-get install', 'RUN apt-get install'))).toContainEqual(
        expect.stringContaining('without apt-get update in the same RUN'),
      );
    });

    it('ovs-vsctl not extracted', () => {
      expect(problems(DOCKERFILE.replace('./usr/bin/ovs-vsctl', './usr/bin/ovs-dpctl'))).toContainEqual(
        expect.stringContaining('the RUN that downloads openvswitch-switch does not extract ./usr/bin/ovs-vsctl'),
      );
      expect(problems(DOCKERFILE.replace(/apt-get download "openvswitch-switch=[^\n]*\n/, ''))).toContainEqual(
        expect.stringContaining('which no RUN downloads (apt-get download openvswitch-switch)'),
      );
    });

    it('tcpdump without its capability, with a different one, on the wrong path, or set as node', () => {
      expect(problems(DOCKERFILE.replace(' \\\n && setcap cap_net_raw+ep /usr/bin/tcpdump', ''))).toContain(
        'target agent: no RUN gives /usr/bin/tcpdump its file capabilities (setcap cap_net_raw+ep /usr/bin/tcpdump)',
      );
      expect(problems(DOCKERFILE.replace('setcap cap_net_raw+ep', 'setcap cap_net_raw,cap_net_admin+eip'))).toContainEqual(
        expect.stringContaining('setcap cap_net_raw,cap_net_admin+eip /usr/bin/tcpdump, expected exactly cap_net_raw+ep'),
      );
      expect(problems(DOCKERFILE.replace('setcap cap_net_raw+ep /usr/bin/tcpdump', 'setcap cap_net_raw+ep /usr/sbin/tcpdump'))).toContainEqual(
        expect.stringContaining('no RUN gives /usr/bin/tcpdump'),
      );
      const overwritten = DOCKERFILE.replace(
        'COPY docker/agent-healthcheck.mjs ./docker/agent-healthcheck.mjs\n',
        'COPY docker/agent-healthcheck.mjs ./docker/agent-healthcheck.mjs\nCOPY --from=agent-deps /usr/bin/tcpdump /usr/bin/\n',
      );
      expect(problems(overwritten)).toContainEqual(expect.stringContaining('/usr/bin/tcpdump is replaced after setcap (the capability would be lost)'));
      const asNode = DOCKERFILE.replace(/(FROM \$\{NODE_IMAGE\} AS agent\n)/, '$1USER node\n');
      expect(problems(asNode)).toEqual(
        expect.arrayContaining([expect.stringContaining('setcap runs as USER node, not root'), expect.stringContaining('apt-get runs as USER node, not root')]),
      );
    });

    it('no or a wrong HEALTHCHECK, a variable it follows that the image does not set, a port it should not expose', () => {
      const noHc = DOCKERFILE.replace(/HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "docker\/agent-healthcheck\.mjs"[^\n]*\n/, '');
      expect(noHc).not.toBe(DOCKERFILE);
      expect(problems(noHc)).toContain('target agent has no HEALTHCHECK');
      expect(problems(DOCKERFILE.replace('"L2SCOPE_AGENT_STALE_AFTER_S", "90"]', '"90"]'))).toContainEqual(
        expect.stringContaining('HEALTHCHECK does not follow L2SCOPE_AGENT_STALE_AFTER_S'),
      );
      expect(problems(DOCKERFILE.replace('ENV L2SCOPE_AGENT_STATUS_FILE=/tmp/l2scope-agent/status.json \\\n    ', 'ENV '))).toContain(
        'target agent: ENV L2SCOPE_AGENT_STATUS_FILE is not set (the HEALTHCHECK reads it)',
      );
      expect(problems(DOCKERFILE.replace('COPY docker/agent-healthcheck.mjs ./docker/agent-healthcheck.mjs\n', ''))).toContain(
        'target agent: HEALTHCHECK script docker/agent-healthcheck.mjs is not copied into the image',
      );
      expect(
        problems(
          DOCKERFILE.replace(
            'ENTRYPOINT ["node", "--import", "tsx", "apps/agent/src/main.ts"]',
            'EXPOSE 8080\nENTRYPOINT ["node", "--import", "tsx", "apps/agent/src/main.ts"]',
          ),
        ),
      ).toContain('target agent listens on no port but EXPOSEs 8080');
    });

    it('a source the entry point loads left out, tsx missing', () => {
      expect(problems(DOCKERFILE.replace('COPY packages/domain/src ./packages/domain/src\n', ''))).toContain(
        'target agent: packages/domain/src/index.ts is not copied into the image',
      );
      expect(problems(DOCKERFILE.replace('COPY --from=agent-deps /app/ ./\n', ''))).toEqual(
        expect.arrayContaining([
          'target agent: tsx (node --import) is not in /app/node_modules',
          'target agent: packages/domain/package.json is not copied into the image',
        ]),
      );
    });
  });
});

// ------------------------------------------------------------------------------------------------
describe('.dockerignore', () => {
  it('keeps dependencies, build output, databases, secrets and the git history out of the context', () => {
    const ig = read('.dockerignore');
    for (const p of ['.git', '**/node_modules', '**/.next', 'data', '**/.env', 'packages/db/src/generated']) expect(ig.split('\n')).toContain(p);
  });
});

// ------------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------------
describe('RabbitMQ least-privilege tap user', () => {
  const perms = JSON.parse(read('docker/rabbitmq/tap-permissions.json')) as Record<string, string>;

  it('docker/rabbitmq/tap-permissions.json equals the test kit TAP_LEAST_PRIVILEGE, which is the domain WORKER_PERMISSIONS', () => {
    expect({ configure: perms.configure, write: perms.write, read: perms.read }).toEqual(TAP_LEAST_PRIVILEGE);
    expect(TAP_LEAST_PRIVILEGE).toEqual(WORKER_PERMISSIONS);
  });

  it('provision.mjs and the README give exactly those regexes', async () => {
    const mod = (await import('../rabbitmq/provision.mjs')) as { TAP_PERMISSIONS: unknown; rabbitmqctlCommands: (u?: string, v?: string) => string[] };
    expect(mod.TAP_PERMISSIONS).toEqual(TAP_LEAST_PRIVILEGE);
    const all = [...mod.rabbitmqctlCommands(), ...read('docker/README.md').split('\n')].filter((l) => /rabbitmqctl set_permissions/.test(l));
    // the node agent's user has its own, narrower permissions (checked below)
    const lines = all.filter((l) => !l.includes("'l2scope-agent-"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) {
      const quoted = [...l.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(quoted.slice(-3), l).toEqual([TAP_LEAST_PRIVILEGE.configure, TAP_LEAST_PRIVILEGE.write, TAP_LEAST_PRIVILEGE.read]);
    }
  });

  it("the README's node agent user gets exactly NODE_AGENT_WIRE.permissions", () => {
    const lines = read('docker/README.md')
      .split('\n')
      .filter((l) => /rabbitmqctl set_(topic_)?permissions/.test(l) && l.includes("'l2scope-agent-compute1'"));
    expect(lines).toHaveLength(2);
    const quoted = [...lines[0]!.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    expect(quoted.slice(-3)).toEqual([NODE_AGENT_WIRE.permissions.configure, NODE_AGENT_WIRE.permissions.write, NODE_AGENT_WIRE.permissions.read]);
    // the topic permission: only its own host's routing keys
    expect([...lines[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]).slice(-3)).toEqual([NODE_EXCHANGE.name, nodeAgentTopicPattern('compute1'), '^$']);
  });

  it("cover the tap's own queues and every exchange it binds by default, and nothing of Neutron's beyond reading", () => {
    const configure = new RegExp(perms.configure!);
    const write = new RegExp(perms.write!);
    const readRe = new RegExp(perms.read!);
    const q = new AmqpTap({ url: 'amqp://unused', onDelivery: async () => {} }).queue;
    for (const name of [q, `${q}.dlx`, `${q}.dropped`]) {
      expect(configure.test(name), name).toBe(true);
      expect(write.test(name), name).toBe(true);
      expect(readRe.test(name), name).toBe(true);
    }
    const exchanges = new Set(tapBindings().map((b) => b.exchange.name));
    expect(exchanges.size).toBeGreaterThanOrEqual(2);
    for (const e of exchanges) expect(readRe.test(e), e).toBe(true);
    for (const e of new Set(tapBindings({ allRpc: true }).map((b) => b.exchange.name))) expect(configure.test(e) || write.test(e), e).toBe(false);
    for (const other of ['q-plugin', 'neutron-extra', 'reply_abc', 'l2scope.other']) expect(readRe.test(other), other).toBe(false);
  });

  // The default least-privilege user does not read the OVO push fanouts that `--all-rpc` also binds
  // (neutron-vo-<Resource>-<version>_fanout): the tap then binds the rest and reports those as
  // denied (apps/worker test "--all-rpc with the default least-privilege user"); docker/README.md
  // says which pattern to add for them.
  it('with --all-rpc, the default read regex leaves out exactly the OVO push fanouts', () => {
    const readRe = new RegExp(perms.read!);
    const unreadable = [...new Set(tapBindings({ allRpc: true }).map((b) => b.exchange.name))].filter((e) => !readRe.test(e));
    expect(unreadable.length).toBeGreaterThan(0);
    for (const e of unreadable) expect(e).toMatch(/^neutron-vo-[A-Za-z]+-\d+\.\d+_fanout$/);
  });
});

// ------------------------------------------------------------------------------------------------
interface Recorded {
  method: string;
  url: string;
  auth: string;
  body: unknown;
}

/** A fake RabbitMQ management API that records requests. */
async function fakeManagementApi(opts: { password: string; notReadyFor?: number }) {
  const requests: Recorded[] = [];
  const perms = new Map<string, unknown>();
  let notReady = opts.notReadyFor ?? 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const rec = { method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body: data ? JSON.parse(data) : undefined };
      requests.push(rec);
      if (rec.auth !== `Basic ${Buffer.from(`admin:${opts.password}`).toString('base64')}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"not_authorized","reason":"Login failed"}');
      }
      if (rec.url === '/api/overview') {
        if (notReady-- > 0) {
          res.writeHead(503);
          return res.end('starting');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"rabbitmq_version":"3.13.7"}');
      }
      if (rec.method === 'PUT') {
        if (rec.url.startsWith('/api/permissions/')) perms.set(rec.url, rec.body);
        res.writeHead(201);
        return res.end();
      }
      if (rec.method === 'GET' && perms.has(rec.url)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(perms.get(rec.url)));
      }
      res.writeHead(404);
      res.end('{"error":"Object Not Found"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function runNode(args: string[], env: Record<string, string | undefined>, timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('docker/rabbitmq/provision.mjs (against a fake management API)', () => {
  const script = 'docker/rabbitmq/provision.mjs';

  it('creates the tap user without tags and sets the least-privilege permissions on /', async () => {
    const api = await fakeManagementApi({ password: 'adm1n', notReadyFor: 2 });
    try {
      const r = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'adm1n', L2SCOPE_TAP_PASSWORD: 't4p' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const writes = api.requests.filter((q) => q.method === 'PUT');
      expect(writes.map((q) => q.url)).toEqual(['/api/users/l2scope', '/api/permissions/%2F/l2scope']);
      expect(writes[0]!.body).toEqual({ password: 't4p', tags: '' });
      expect(writes[1]!.body).toEqual(TAP_LEAST_PRIVILEGE);
      // waited for the API (two 503s) before writing
      expect(api.requests.filter((q) => q.url === '/api/overview').length).toBe(3);
      expect(r.stdout).toContain('user l2scope on vhost /');
    } finally {
      await api.close();
    }
  });

  it('creates a custom vhost first', async () => {
    const api = await fakeManagementApi({ password: 'adm1n' });
    try {
      const r = await runNode([script], {
        RABBITMQ_API_URL: api.url,
        RABBITMQ_ADMIN_PASSWORD: 'adm1n',
        L2SCOPE_TAP_PASSWORD: 't4p',
        L2SCOPE_TAP_USER: 'tap',
        L2SCOPE_AMQP_VHOST: 'open/stack',
      });
      expect(r.code).toBe(0);
      expect(api.requests.filter((q) => q.method === 'PUT').map((q) => q.url)).toEqual([
        '/api/vhosts/open%2Fstack',
        '/api/users/tap',
        '/api/permissions/open%2Fstack/tap',
      ]);
    } finally {
      await api.close();
    }
  });

  it('fails at once on wrong admin credentials, and without the passwords', async () => {
    const api = await fakeManagementApi({ password: 'adm1n' });
    try {
      const r = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'wrong', L2SCOPE_TAP_PASSWORD: 't4p' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('HTTP 401');
      expect(api.requests.filter((q) => q.method === 'PUT')).toEqual([]);
      const missing = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'adm1n' });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('L2SCOPE_TAP_PASSWORD is required');
    } finally {
      await api.close();
    }
  });

  it('gives up when the API never answers', async () => {
    const r = await runNode([script], {
      RABBITMQ_API_URL: 'http://127.0.0.1:1',
      RABBITMQ_ADMIN_PASSWORD: 'a',
      L2SCOPE_TAP_PASSWORD: 'b',
      RABBITMQ_WAIT_SECONDS: '1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not answering after 1s');
  });
});

// ------------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------------
const rabbitmqctl = spawnSync('rabbitmqctl', ['-q', 'status'], { encoding: 'utf8', timeout: 30_000 });
const hasRabbit = !rabbitmqctl.error && rabbitmqctl.status === 0;
if (!hasRabbit) console.warn('rabbitmqctl / RabbitMQ not available: skipping the demo publisher + least-privilege tap test');

describe.skipIf(!hasRabbit)('demo profile on the real RabbitMQ: docker/demo/replay.ts as neutron-server, the tap as the least-privilege user', () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost('l2scope-docker');
  });
  afterAll(async () => {
    await vhost?.cleanup();
  });

  it('the tap user receives every l2pop and report_state message the simulator publishes, and may not publish to Neutron', async () => {
    const perms = JSON.parse(read('docker/rabbitmq/tap-permissions.json')) as { configure: string; write: string; read: string };
    const tapUser = await vhost.addUser(perms);

    // Neutron's exchanges exist before the tap starts (as in a running cloud)
    const admin = await amqp.connect(vhost.adminUrl);
    const ch = await admin.createChannel();
    const bindings = tapBindings();
    for (const name of new Set(bindings.map((b) => b.exchange.name))) {
      const e = exchangeFor(name);
      await ch.assertExchange(e.name, e.type, { durable: e.durable, autoDelete: e.autoDelete });
    }

    // what the tap must receive: records of the capture its bindings route (topic keys `x.#` or exact)
    const routed = (exchange: string, key: string) =>
      bindings.some(
        (b) =>
          b.exchange.name === exchange &&
          (b.exchange.type === 'fanout' ||
            b.routingKey === key ||
            (b.routingKey.endsWith('.#') && (key === b.routingKey.slice(0, -2) || key.startsWith(b.routingKey.slice(0, -1))))),
      );
    let expected = 0;
    let total = 0;
    for await (const r of readCapture(DEFAULT_CAPTURE)) {
      total++;
      if (routed(r.exchange, r.routingKey)) expected++;
    }
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(total);

    const received: string[] = [];
    const tap = new AmqpTap({ url: tapUser.url, pollSeconds: 1, onDelivery: async (d) => void received.push(d.routingKey) });
    await tap.start();
    try {
      const r = await runNode(
        ['--import', 'tsx', 'docker/demo/replay.ts'],
        { NEUTRON_AMQP_URL: vhost.adminUrl, DEMO_SPEED: '0', DEMO_LOOP: '0', DEMO_CAPTURE: DEFAULT_CAPTURE_REL },
        60_000,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`published ${total} messages`);
      const deadline = Date.now() + 15_000;
      while (received.length < expected && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      await new Promise((res) => setTimeout(res, 500));
      expect(received.length).toBe(expected);

      // least privilege: the tap user cannot write to Neutron's exchange
      const tc = await amqp.connect(tapUser.url);
      try {
        const pub = await tc.createConfirmChannel();
        const closed = new Promise<string>((res) => pub.on('error', (e: Error) => res(e.message)));
        pub.publish('neutron', 'q-agent-notifier-l2population-update.evil', Buffer.from('{}'));
        expect(await closed).toMatch(/ACCESS_REFUSED/);
      } finally {
        await tc.close().catch(() => {});
      }
    } finally {
      await tap.close();
      await admin.close();
    }
  }, 120_000);
});
