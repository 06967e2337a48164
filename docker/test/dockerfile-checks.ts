/**
 * Offline checks of docker/Dockerfile against the repository and the apps: a list of problems
 * (empty = fine), so the tests run them on the real file and on deliberately broken copies.
 */
import path from 'node:path';
import ignore from '@balena/dockerignore';
import { ImageContext, Instr, RunOutputs, Stage, chain, effective, execForm, parseDockerfile, stageEnv, stageHas, workdirOf } from './dockerfile-model';
import { RepoFacts, pathExists } from './repo-facts';

/** An HTTP server in the image. */
export interface Listener {
  /** Port the process listens on: EXPOSE and ENV[portEnv] must equal it. */
  port: number;
  /** The variable the process reads its port from; the HEALTHCHECK must follow it too. */
  portEnv: string;
  /** HTTP path the HEALTHCHECK probes. */
  healthPath: string;
}

/** What one target's image must provide. */
export interface TargetExpectation {
  /**
   * The HTTP server of the image, or null for a process that listens on no port (the node agent,
   * which only publishes): then the image must EXPOSE nothing.
   */
  listens: Listener | null;
  /**
   * Environment variables the HEALTHCHECK command must name (it reads them at probe time); the
   * image's ENV must set each, non-empty. For a listener, its `portEnv` is implied.
   */
  healthEnv?: string[];
  /** Repository files the image must contain (relative to the repo and to the image's /app). */
  files: string[];
  /**
   * Debian packages the image installs: in a RUN running as root, with `apt-get update`,
   * `apt-get install -y --no-install-recommends <packages>` and `rm -rf /var/lib/apt/lists/*`.
   */
  debian?: string[];
  /**
   * Files taken from a Debian package that is downloaded (`apt-get download <package>`) but not
   * installed: absolute path -> package. The RUN must extract exactly that member (`./<path>`).
   */
  debianExtracts?: Record<string, string>;
  /**
   * File capabilities: absolute path -> the capabilities as setcap takes them (`cap_net_raw+ep`).
   * Set by `setcap` in a RUN running as root, after the file is installed; no later COPY may
   * replace the file (that would drop the capability).
   */
  fileCaps?: Record<string, string>;
}

export interface DockerfileExpectations {
  /** Targets that must exist, with what their image must provide. */
  targets: Record<string, TargetExpectation>;
  /** Paths (relative) that the build stage creates, so they need not exist in the repository. */
  buildOutputs: Record<string, RegExp>;
  /** The image's application directory (WORKDIR of the stages that hold the repository). */
  appDir: string;
  /** Absolute paths that RUN instructions create (node_modules by npm install...). */
  runOutputs: RunOutputs;
}

export function checkDockerfile(text: string, repo: RepoFacts, exp: DockerfileExpectations): string[] {
  const problems: string[] = [];
  const { args, stages } = parseDockerfile(text);
  const ig = ignore().add(repo.dockerignore);
  const ignored = (rel: string) => rel !== '.' && rel !== '' && ig.ignores(rel.replace(/\/+$/, ''));
  const byName = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]));
  const imageCtx: ImageContext = {
    stages,
    inContext: (rel) => pathExists(path.join(repo.root, rel)) && !ignored(rel),
    runOutputs: Object.fromEntries([
      ...Object.entries(exp.buildOutputs).map(([rel, re]) => [path.posix.join(exp.appDir, rel), re] as const),
      ...Object.entries(exp.runOutputs),
    ]),
  };
  const has = (s: Stage, abs: string) => stageHas(s, abs, imageCtx);
  const allRuns = stages.flatMap((s) => s.instrs.filter((i) => i.keyword === 'RUN').map((i) => ({ s, i })));

  // stages, bases
  for (const s of stages) if (!s.name) problems.push(`stage ${s.index} (FROM ${s.base}) has no name (FROM ... AS <name>)`);
  for (const t of Object.keys(exp.targets)) if (!byName.has(t)) problems.push(`target stage "${t}" is missing`);
  for (const s of stages) {
    if (s.parent) continue;
    if (s.base.includes('$')) problems.push(`stage ${s.name}: base image ${s.base} has an unresolved variable`);
    else if (s.base !== `node:${repo.nodeMajor}-bookworm-slim`)
      problems.push(`stage ${s.name}: base image ${s.base} is not node:${repo.nodeMajor}-bookworm-slim (.nvmrc says Node ${repo.nodeMajor})`);
  }

  // npm: version, install (never ci), no browser download
  const npmArg = stages.flatMap((s) => s.instrs).find((i) => i.keyword === 'ARG' && i.args[0]?.startsWith('NPM_VERSION='));
  const npmVersion = npmArg?.args[0]?.split('=')[1] ?? args.get('NPM_VERSION');
  if (npmVersion !== repo.npmVersion) problems.push(`ARG NPM_VERSION=${npmVersion ?? '(none)'} differs from packageManager npm@${repo.npmVersion}`);
  for (const { s, i } of allRuns) {
    if (/\bnpm\s+ci\b/.test(i.content))
      problems.push(`line ${i.line} (${s.name}): npm ci refuses this lockfile (missing darwin/win32 optional builds): use npm install`);
    if (/playwright\s+install/.test(i.content)) problems.push(`line ${i.line} (${s.name}): playwright install downloads a browser: not in production images`);
  }
  const install = allRuns.find(({ i }) => /\bnpm\s+install\b(?![^&;|]*\s-g\b)/.test(i.content));
  if (!install) problems.push('no RUN npm install of the workspace');
  else {
    // every workspace manifest (and the lockfile) must be in place before that install
    const before = new Set(
      chain(install.s)
        .reverse()
        .flatMap((s) => s.instrs.filter((i) => (s !== install.s || i.line < install.i.line) && i.keyword === 'COPY' && !i.flags.has('from')))
        .flatMap((i) => i.args.slice(0, -1)),
    );
    for (const f of ['package.json', 'package-lock.json', ...repo.workspaces.map((w) => `${w}/package.json`)]) {
      if (!before.has(f) && !before.has('.'))
        problems.push(`${f} is not copied before \`npm install\` (line ${install.i.line}): npm would miss workspace ${path.dirname(f)}`);
    }
  }
  const buildStage = byName.get('build');
  const buildRuns = buildStage
    ? buildStage.instrs
        .filter((i) => i.keyword === 'RUN')
        .map((i) => i.content)
        .join('\n')
    : '';
  if (!/db:generate/.test(buildRuns)) problems.push('the build stage does not run db:generate (the Prisma clients are generated, not committed)');
  if (!/turbo\s+run\s+build\b.*--filter=@l2scope\/web/.test(buildRuns)) problems.push('the build stage does not run `turbo run build --filter=@l2scope/web`');

  // COPY sources
  for (const s of stages) {
    for (const i of s.instrs) {
      if (i.keyword === 'ADD') problems.push(`line ${i.line}: ADD (use COPY)`);
      if (i.keyword !== 'COPY') continue;
      const from = i.flags.get('from');
      const srcs = i.args.slice(0, -1);
      if (srcs.length === 0) problems.push(`line ${i.line}: COPY without a source`);
      if (from === undefined) {
        for (const src of srcs) {
          const rel = path.posix.normalize(src).replace(/^\.\/?/, '') || '.';
          if (!pathExists(path.join(repo.root, rel))) problems.push(`line ${i.line}: COPY source ${src} does not exist in the repository`);
          else if (ignored(rel)) problems.push(`line ${i.line}: COPY source ${src} is excluded by .dockerignore`);
        }
        continue;
      }
      const fromStage = from ? byName.get(from) : undefined;
      if (!fromStage || fromStage.index >= s.index) {
        problems.push(`line ${i.line}: COPY --from=${from} names no earlier stage`);
        continue;
      }
      // a stage holding the build context (COPY . .): its /app paths map to the repository
      const holdsContext = chain(fromStage).some((c) => c.instrs.some((x) => x.keyword === 'COPY' && !x.flags.has('from') && x.args[0] === '.'));
      for (const src of srcs) {
        const abs = path.posix.normalize(src);
        if (!abs.startsWith(exp.appDir)) {
          problems.push(`line ${i.line}: COPY --from=${from} ${src} is outside ${exp.appDir}`);
          continue;
        }
        const rel = abs.slice(exp.appDir.length).replace(/^\/+|\/+$/g, '');
        if (!rel) continue; // the whole application directory
        const output = Object.entries(exp.buildOutputs).find(([o]) => rel === o || rel.startsWith(`${o}/`));
        if (output) {
          if (!output[1].test(buildRuns)) problems.push(`line ${i.line}: ${rel} is a build output but no RUN of the build stage produces it`);
          if (!holdsContext) problems.push(`line ${i.line}: ${rel} copied from ${from}, which does not build it`);
          continue;
        }
        if (!holdsContext) {
          if (!has(fromStage, abs)) problems.push(`line ${i.line}: ${src} is not in stage ${from}`);
          continue;
        }
        if (!pathExists(path.join(repo.root, rel))) problems.push(`line ${i.line}: COPY --from=${from} ${src}: ${rel} does not exist in the repository`);
        else if (ignored(rel)) problems.push(`line ${i.line}: COPY --from=${from} ${src}: ${rel} is excluded by .dockerignore`);
      }
    }
  }

  // a global ARG is empty inside a stage that does not declare it again
  for (const s of stages) {
    const declared = new Set(s.instrs.filter((i) => i.keyword === 'ARG').map((i) => i.args[0]?.split('=')[0]));
    for (const i of s.instrs) {
      if (i.keyword !== 'RUN') continue;
      for (const m of i.content.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
        const v = (m[1] ?? m[2])!;
        if (args.has(v) && !declared.has(v))
          problems.push(`line ${i.line} (${s.name}): uses the global ARG ${v} without \`ARG ${v}\` in the stage (it is empty there)`);
      }
    }
  }

  // runtime targets: user, health check, port, files, entrypoint, Debian packages, capabilities
  for (const [name, t] of Object.entries(exp.targets)) {
    const s = byName.get(name);
    if (!s) continue;
    const user = effective(s, 'USER')?.args[0];
    if (!user) problems.push(`target ${name} runs as root (no USER)`);
    else if (/^(root|0)(:.*)?$/.test(user)) problems.push(`target ${name} runs as root (USER ${user})`);
    const env = stageEnv(s);
    const hc = effective(s, 'HEALTHCHECK');
    const hcCmd = hc ? execForm(hc.content.replace(/^CMD\s+/i, '')) : null;
    const healthEnv = [...(t.listens ? [t.listens.portEnv] : []), ...(t.healthEnv ?? [])];
    if (!hc) problems.push(`target ${name} has no HEALTHCHECK`);
    else if (/^NONE\b/i.test(hc.content.trim())) problems.push(`target ${name}: HEALTHCHECK NONE`);
    else if (!hcCmd) problems.push(`target ${name}: HEALTHCHECK is not an exec-form CMD [...]`);
    else {
      if (t.listens && !hcCmd.includes(t.listens.healthPath))
        problems.push(`target ${name}: HEALTHCHECK does not probe ${t.listens.healthPath}: ${hcCmd.join(' ')}`);
      for (const v of healthEnv) if (!hcCmd.includes(v)) problems.push(`target ${name}: HEALTHCHECK does not follow ${v}: ${hcCmd.join(' ')}`);
      const script = hcCmd.find((a) => /\.m?[jt]s$/.test(a));
      if (!script) problems.push(`target ${name}: HEALTHCHECK runs no script of the repository: ${hcCmd.join(' ')}`);
      else if (!has(s, path.posix.resolve(workdirOf(s), script))) problems.push(`target ${name}: HEALTHCHECK script ${script} is not copied into the image`);
    }
    for (const v of t.healthEnv ?? []) if (!env.get(v)) problems.push(`target ${name}: ENV ${v} is not set (the HEALTHCHECK reads it)`);
    const exposed = chain(s).flatMap((c) => c.instrs.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.map((a) => a.split('/')[0])));
    if (t.listens) {
      if (env.get(t.listens.portEnv) !== String(t.listens.port))
        problems.push(`target ${name}: ENV ${t.listens.portEnv}=${env.get(t.listens.portEnv) ?? '(unset)'}, expected ${t.listens.port}`);
      if (!exposed.includes(String(t.listens.port))) problems.push(`target ${name}: EXPOSE ${t.listens.port} missing (has ${exposed.join(', ') || 'none'})`);
    } else if (exposed.length) problems.push(`target ${name} listens on no port but EXPOSEs ${exposed.join(', ')}`);
    problems.push(...checkDebian(name, s, t));
    for (const f of t.files) {
      if (!pathExists(path.join(repo.root, f))) problems.push(`target ${name}: ${f} does not exist in the repository`);
      if (!has(s, path.posix.join(exp.appDir, f))) problems.push(`target ${name}: ${f} is not copied into the image`);
    }
    const entry = [...(execForm(effective(s, 'ENTRYPOINT')?.content ?? '') ?? []), ...(execForm(effective(s, 'CMD')?.content ?? '') ?? [])];
    if (entry.length === 0) problems.push(`target ${name}: no exec-form ENTRYPOINT/CMD`);
    for (const [k, a] of entry.entries()) {
      // `node --import tsx ...`: a package of the image's node_modules
      if (k > 0 && (entry[k - 1] === '--import' || entry[k - 1] === '--require') && !a.startsWith('.') && !a.startsWith('/')) {
        if (!has(s, path.posix.join(exp.appDir, 'node_modules', a)))
          problems.push(`target ${name}: ${a} (node ${entry[k - 1]}) is not in ${exp.appDir}/node_modules`);
        continue;
      }
      if (!/\.(m?[jt]s)$/.test(a) && !a.includes('/node_modules/')) continue;
      if (!has(s, path.posix.resolve(workdirOf(s), a))) problems.push(`target ${name}: ${a} (command) is not in the image`);
    }
  }
  return problems;
}

/** The USER in effect when `instr` (an instruction of `stage` or of an ancestor) runs; null = root by default. */
function userAt(stage: Stage, instr: Instr): string | null {
  let user: string | null = null;
  for (const c of chain(stage).reverse()) {
    for (const i of c.instrs) {
      if (i === instr) return user;
      if (i.keyword === 'USER') user = i.args[0] ?? null;
    }
  }
  return user;
}

const isRoot = (user: string | null) => user === null || /^(root|0)(:.*)?$/.test(user);

/** Shell commands of a RUN, split on `&&`, `;` and `||` (enough for Dockerfile RUN lines). */
function shellCommands(run: string): string[] {
  return run
    .replace(/\\\n/g, ' ')
    .split(/&&|\|\||;/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** Package names of `apt-get install` commands (flags dropped, `pkg=version` kept as `pkg`). */
export function aptInstalled(run: string): string[] {
  const out: string[] = [];
  for (const c of shellCommands(run)) {
    const m = /^apt-get\s+(?:-\S+\s+)*install\b(.*)$/.exec(c);
    if (!m) continue;
    for (const w of m[1]!.split(/\s+/)) if (w && !w.startsWith('-')) out.push(w.split('=')[0]!);
  }
  return out;
}

/** Debian packages, extracted files and file capabilities of a target (see {@link TargetExpectation}). */
function checkDebian(name: string, stage: Stage, t: TargetExpectation): string[] {
  const problems: string[] = [];
  const runs = chain(stage)
    .reverse()
    .flatMap((c) => c.instrs.filter((i) => i.keyword === 'RUN'));
  const all = chain(stage)
    .reverse()
    .flatMap((c) => c.instrs);
  const installs = runs.filter((r) => aptInstalled(r.content).length > 0);
  for (const pkg of t.debian ?? []) {
    const r = installs.find((x) => aptInstalled(x.content).includes(pkg));
    if (!r) {
      problems.push(`target ${name}: Debian package ${pkg} is not installed (apt-get install)`);
      continue;
    }
    const cmds = shellCommands(r.content);
    const inst = cmds.find((c) => /^apt-get\s.*\binstall\b/.test(c) && aptInstalled(c).includes(pkg))!;
    if (!/\s--no-install-recommends\b/.test(inst)) problems.push(`target ${name}: line ${r.line}: apt-get install without --no-install-recommends`);
    if (!/\s-y\b|\s--yes\b|\s--assume-yes\b/.test(inst)) problems.push(`target ${name}: line ${r.line}: apt-get install without -y`);
    const at = cmds.indexOf(inst);
    if (!cmds.slice(0, at).some((c) => /^apt-get\s+(?:-\S+\s+)*update\b/.test(c)))
      problems.push(`target ${name}: line ${r.line}: apt-get install without apt-get update in the same RUN (a cached, stale package index)`);
    if (!cmds.slice(at).some((c) => /^rm\s+-\w*r\w*f?\w*\s+.*\/var\/lib\/apt\/lists\/\*/.test(c)))
      problems.push(`target ${name}: line ${r.line}: the apt lists are not removed (rm -rf /var/lib/apt/lists/*) in the same RUN`);
    if (!isRoot(userAt(stage, r))) problems.push(`target ${name}: line ${r.line}: apt-get runs as USER ${userAt(stage, r)}, not root`);
  }
  for (const [file, pkg] of Object.entries(t.debianExtracts ?? {})) {
    const r = runs.find((x) =>
      shellCommands(x.content).some((c) => new RegExp(`^apt-get\\s+(?:-\\S+\\s+)*download\\s+["']?${pkg.replace(/[.+]/g, '\\$&')}(?:[="'\\s]|$)`).test(c)),
    );
    if (!r) {
      problems.push(`target ${name}: ${file} is to come from Debian package ${pkg}, which no RUN downloads (apt-get download ${pkg})`);
      continue;
    }
    if (!r.content.includes(`.${file}`)) problems.push(`target ${name}: line ${r.line}: the RUN that downloads ${pkg} does not extract .${file}`);
  }
  for (const [file, caps] of Object.entries(t.fileCaps ?? {})) {
    const norm = (c: string) =>
      c
        .split('+')
        .map((p, k) => (k === 0 ? p.split(',').sort().join(',') : p.split('').sort().join('')))
        .join('+');
    const r = runs.find((x) => shellCommands(x.content).some((c) => c.startsWith('setcap ') && c.split(/\s+/).at(-1) === file));
    if (!r) {
      problems.push(`target ${name}: no RUN gives ${file} its file capabilities (setcap ${caps} ${file})`);
      continue;
    }
    const cmd = shellCommands(r.content).find((c) => c.startsWith('setcap ') && c.split(/\s+/).at(-1) === file)!;
    const given = cmd
      .split(/\s+/)
      .slice(1, -1)
      .filter((w) => !w.startsWith('-'))
      .join('');
    if (norm(given) !== norm(caps)) problems.push(`target ${name}: line ${r.line}: setcap ${given} ${file}, expected exactly ${caps}`);
    if (!isRoot(userAt(stage, r))) problems.push(`target ${name}: line ${r.line}: setcap runs as USER ${userAt(stage, r)}, not root`);
    const installedBefore = installs.some((x) => x.line <= r.line) || runs.some((x) => x.line <= r.line && x.content.includes(`.${file}`));
    if (!installedBefore) problems.push(`target ${name}: line ${r.line}: setcap on ${file} before anything installs it`);
    let wd = '/';
    const later = all.find((i, k) => {
      if (i.keyword === 'WORKDIR') wd = path.posix.resolve(wd, i.args[0] ?? '/');
      if (k <= all.indexOf(r) || (i.keyword !== 'COPY' && i.keyword !== 'ADD')) return false;
      const dest = path.posix.resolve(wd, i.args.at(-1) ?? '.');
      // conservative: a COPY into one of the file's parent directories counts as replacing it
      return dest === file || file.startsWith(`${dest.replace(/\/$/, '')}/`);
    });
    if (later) problems.push(`target ${name}: line ${later.line}: ${file} is replaced after setcap (the capability would be lost)`);
  }
  return problems;
}
