/**
 * docker/Dockerfile validated without a Docker engine, against the repository and the apps:
 * stages and targets, COPY sources (every workspace manifest), users, health checks, ports, the
 * node agent target (Debian executables, its import closure) and .dockerignore. Each check is
 * also run on a broken copy to prove it can fail.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ComposeFile,
  aptInstalled,
  checkDockerfile,
  envNamesRead,
  execForm,
  envOf,
  parseCompose,
  parseDockerfile,
  requiredVariables,
  sourceFiles,
  stageEnv,
} from './checks';
import {
  ROOT,
  read,
  DOCKERFILE,
  repo,
  DEFAULT_CAPTURE_REL,
  AGENT_ENTRY,
  AGENT_CLOSURE,
  AGENT_EXECS,
  DEBIAN_EXECS,
  DF_EXPECT,
  AGENT_STATUS_ENV,
} from './expectations';

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

describe('.dockerignore', () => {
  it('keeps dependencies, build output, databases, secrets and the git history out of the context', () => {
    const ig = read('.dockerignore');
    for (const p of ['.git', '**/node_modules', '**/.next', 'data', '**/.env', 'packages/db/src/generated']) expect(ig.split('\n')).toContain(p);
  });
});
