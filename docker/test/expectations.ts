/**
 * What the docker/ tests check against: the repository's Dockerfile, compose file and
 * .env.example as parsed, and the expectations derived from the apps' sources (ports, files,
 * env names, the node agent's executables and import closure).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_COMMANDS } from '@l2scope/domain';
import { DEFAULT_CAPTURE } from '@l2scope/worker';
import {
  type ComposeExpectations,
  type DockerfileExpectations,
  envNamesRead,
  importClosure,
  parseCompose,
  parseEnvFile,
  repoFacts,
  sourceFiles,
} from './checks';

export const DOCKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(DOCKER_DIR, '..');
export const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

export const DOCKERFILE = read('docker/Dockerfile');
export const COMPOSE_TEXT = read('docker/compose.yaml');
export const COMPOSE = parseCompose(COMPOSE_TEXT);
export const ENV_EXAMPLE = parseEnvFile(read('docker/.env.example'));
export const repo = repoFacts(ROOT);

/** The worker CLI's default live port, read from its source (`?? 3001`). */
export const WORKER_DEFAULT_PORT = Number(/L2SCOPE_LIVE_PORT \?\? (\d+)/.exec(read('apps/worker/src/main.ts'))?.[1]);
/** The capture the worker replays by default, relative to the repository. */
export const DEFAULT_CAPTURE_REL = path.relative(ROOT, DEFAULT_CAPTURE).split(path.sep).join('/');

/**
 * What the node agent loads at run time, followed from its entry point (relative imports and
 * workspace packages): every file must be in the image, every bare package in its node_modules.
 */
export const AGENT_ENTRY = 'apps/agent/src/main.ts';
export const AGENT_CLOSURE = importClosure(ROOT, AGENT_ENTRY, repo.workspaces);
export const agentSources = sourceFiles(ROOT, ['apps/agent/src'])
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');
/**
 * The executables the agent runs: NODE_COMMANDS (collection), and what its sources name in
 * `runCommand([...])`, `new TriggerMonitor([...])` and `which(... 'x')` (addresses, monitors, tcpdump).
 */
export const AGENT_EXECS = new Set([
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
export const DEBIAN_EXECS: Record<string, { path: string; package: string; extracted?: true }> = {
  ip: { path: '/bin/ip', package: 'iproute2' }, // (+ /sbin/ip -> /bin/ip; the base image has a merged /usr)
  bridge: { path: '/sbin/bridge', package: 'iproute2' },
  tcpdump: { path: '/usr/bin/tcpdump', package: 'tcpdump' },
  'ovs-ofctl': { path: '/usr/bin/ovs-ofctl', package: 'openvswitch-common' },
  'ovs-vsctl': { path: '/usr/bin/ovs-vsctl', package: 'openvswitch-switch', extracted: true },
};
export const AGENT_STATUS_ENV = ['L2SCOPE_AGENT_STATUS_FILE', 'L2SCOPE_AGENT_STALE_AFTER_S'];

export const DF_EXPECT: DockerfileExpectations = {
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

export const workerEnvRead = envNamesRead(sourceFiles(ROOT, ['apps/worker/src', 'packages/auth/src', 'packages/db/src', 'packages/domain/src']));
export const webEnvRead = envNamesRead(
  sourceFiles(ROOT, ['apps/web/app', 'apps/web/src', 'apps/web/proxy.ts', 'packages/api/src', 'packages/auth/src', 'packages/db/src', 'packages/domain/src']),
);

export const COMPOSE_EXPECT: ComposeExpectations = {
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

export const clone = <T>(v: T): T => structuredClone(v);

/** Run node with `args` in the repository, on `env` plus PATH only; resolves with its exit code and output (never rejects). */
export function runNode(args: string[], env: Record<string, string | undefined>, timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
