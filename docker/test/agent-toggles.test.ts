/**
 * The node agent image as a toggle-capable agent (docker/README.md#an-agent-that-takes-admin-toggles):
 * the image makes the agent's default `--state-dir` owned by its user, and the README's example
 * gives exactly what docs/toggles.md says a toggling agent needs, with flags the agent has.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import parseArgsStringToArgv from 'string-argv';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

const AGENT_MAIN = read('apps/agent/src/main.ts');
/** Every long option the agent declares (`'--name <arg>'` as the first argument of `.option(`). */
const AGENT_FLAGS = new Set([...AGENT_MAIN.matchAll(/\.option\(\s*'(--[a-z][a-z-]*)/g)].map((m) => m[1]!));
/** The agent's default `--state-dir`. */
const DEFAULT_STATE_DIR = /\.option\('--state-dir <dir>', '[^']*', '([^']+)'\)/.exec(AGENT_MAIN)?.[1];
/** The systemd units the agent drives (apps/agent/src/commands/service.ts `SYSTEMD_UNITS`). */
const UNITS = [...(/SYSTEMD_UNITS[^{]*\{([^}]*)\}/.exec(read('apps/agent/src/commands/service.ts'))?.[1] ?? '').matchAll(/'([\w-]+-agent)'/g)].map(
  (m) => m[1]!,
);

/** The agent stage of the Dockerfile (from `FROM ... AS agent` to the end). */
function agentStage(dockerfile: string): string {
  const i = dockerfile.search(/^FROM \S+ AS agent$/m);
  expect(i, 'no agent stage').toBeGreaterThan(-1);
  return dockerfile.slice(i);
}

/** The README section's `docker run` example, continuation lines joined, split like a shell would. */
function toggleRun(readme: string): string[] {
  const from = readme.indexOf('## An agent that takes admin toggles');
  expect(from, 'no toggle section').toBeGreaterThan(-1);
  const section = readme.slice(from, readme.indexOf('\n## ', from + 3));
  const runs = [...section.matchAll(/```sh\n(docker run [\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' '));
  expect(runs).toHaveLength(1);
  return parseArgsStringToArgv(runs[0]!);
}

/** The value(s) of a `docker run` / agent option in argv. */
const values = (argv: string[], opt: string) => argv.flatMap((a, i) => (a === opt ? [argv[i + 1]!] : []));

describe('the agent image as a toggle-capable agent', () => {
  it("makes the agent's default --state-dir, owned by node, mode 0700, before USER node", () => {
    expect(DEFAULT_STATE_DIR).toBe('/var/lib/l2scope-agent');
    const stage = agentStage(read('docker/Dockerfile'));
    expect(stage).toContain(`install -d -o node -g node -m 0700 ${DEFAULT_STATE_DIR}`);
    expect(stage.indexOf(`install -d -o node -g node -m 0700`)).toBeLessThan(stage.indexOf('\nUSER node'));
  });

  it("the README's example: the public key, a volume on the state dir, the Neutron config writable, stop/start/restart of a unit the agent knows", () => {
    const argv = toggleRun(read('docker/README.md'));
    const image = argv.findIndex((a) => a.startsWith('l2scope/agent'));
    const docker = argv.slice(0, image);
    const agent = argv.slice(image + 1);
    for (const a of agent) if (a.startsWith('--')) expect(AGENT_FLAGS, a).toContain(a);
    // each hypervisor's own broker user, named after its --host (docs/rabbitmq.md)
    const host = values(agent, '--host')[0];
    expect(values(docker, '-e').join(' ')).toContain(`amqp://l2scope-agent-${host}:`);
    // the public key, mounted read-only where the flag points
    const key = values(agent, '--command-public-key')[0];
    expect(key).toBeDefined();
    expect(values(docker, '-v')).toContain(`${key}:${key}:ro`);
    // the state dir on a volume (the agent's default, so no --state-dir)
    expect(values(agent, '--state-dir')).toEqual([]);
    expect(values(docker, '-v').some((v) => v.endsWith(`:${DEFAULT_STATE_DIR}`) && !v.startsWith('/'))).toBe(true);
    // the ini's directory writable, as root (the atomic rename)
    expect(values(docker, '-v')).toContain('/etc/neutron:/etc/neutron');
    expect(values(docker, '--user')).toEqual(['root']);
    // the clean switch needs stop and start; each runs the host's systemctl on a unit the agent knows
    expect(UNITS.length).toBe(2);
    for (const [opt, verb] of [
      ['--stop-command', 'stop'],
      ['--start-command', 'start'],
      ['--restart-command', 'restart'],
    ] as const) {
      const cmd = parseArgsStringToArgv(values(agent, opt)[0] ?? '');
      expect(cmd[0], opt).toBe('nsenter');
      expect(cmd).toContain('-t');
      expect(cmd.slice(-3, -1)).toEqual(['systemctl', verb]);
      expect(UNITS).toContain(cmd.at(-1));
    }
    // nsenter into PID 1's namespaces needs the host's PID namespace and the privilege to enter it
    expect(docker).toContain('--pid');
    expect(values(docker, '--pid')).toEqual(['host']);
    expect(docker).toContain('--privileged');
  });
});
