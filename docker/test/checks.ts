/**
 * Offline checks of docker/Dockerfile and docker/compose.yaml against the repository, as pure
 * functions that return a list of problems (empty = fine), so the test can run them on the real
 * files and on deliberately broken copies (proving each check can fail).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ignore from '@balena/dockerignore';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';

// ------------------------------------------------------------------------------------------------
// Dockerfile model

export interface Instr {
  keyword: string;
  /** Arguments without flags. */
  args: string[];
  /** The arguments as written (line continuations joined). */
  content: string;
  flags: Map<string, string | null>;
  line: number;
}

export interface Stage {
  name: string | null;
  /** Image or stage name it is built FROM (ARGs resolved). */
  base: string;
  parent: Stage | null;
  index: number;
  instrs: Instr[];
}

export interface ParsedDockerfile {
  args: Map<string, string>;
  stages: Stage[];
}

function expandVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? m);
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const args = new Map<string, string>();
  for (const a of df.getInitialARGs()) {
    const p = a.getProperty();
    if (p?.getName()) args.set(p.getName(), p.getValue() ?? '');
  }
  const stages: Stage[] = [];
  let current: Stage | null = null;
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword().toUpperCase();
    const flags = new Map<string, string | null>();
    const withFlags = i as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const f of withFlags.getFlags?.() ?? []) flags.set(f.getName(), f.getValue());
    const instr: Instr = {
      keyword,
      args: i.getArguments().map((a) => a.getValue()),
      content: i.getArgumentsContent() ?? '',
      flags,
      line: i.getRange().start.line + 1,
    };
    if (keyword === 'FROM') {
      const [image = '', as, name] = instr.args;
      const base = expandVars(image, args);
      const parent = stages.find((s) => s.name === base) ?? null;
      current = { name: as?.toUpperCase() === 'AS' && name ? name : null, base, parent, index: stages.length, instrs: [] };
      stages.push(current);
    } else if (current) {
      current.instrs.push(instr);
    }
  }
  return { args, stages };
}

/** The stage and its ancestors (FROM <stage>), nearest first. */
export function chain(stage: Stage): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | null = stage; s; s = s.parent) out.push(s);
  return out;
}

/** Last instruction of a kind in effect for a stage (its own or inherited). */
export function effective(stage: Stage, keyword: string): Instr | undefined {
  for (const s of chain(stage)) {
    const found = s.instrs.filter((i) => i.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** ENV of a stage, inherited ones included. */
export function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const s of chain(stage).reverse()) {
    for (const i of s.instrs) {
      if (i.keyword !== 'ENV') continue;
      for (const a of i.args) {
        const eq = a.indexOf('=');
        if (eq > 0) env.set(a.slice(0, eq), a.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
      }
    }
  }
  return env;
}

/** An exec-form (JSON array) command, or null for the shell form. */
export function execForm(content: string): string[] | null {
  const t = content.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

interface Placed {
  dest: string;
  from: string | null;
  src: string;
}

/** What the COPY instructions of a stage (and its ancestors) place, as absolute image paths. */
export function placedFiles(stage: Stage): Placed[] {
  const out: Placed[] = [];
  // WORKDIR is inherited from the parent stage
  let workdir = '/';
  for (const s of chain(stage).reverse()) {
    for (const i of s.instrs) {
      if (i.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, i.args[0] ?? '/');
      if (i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
      const srcs = i.args.slice(0, -1);
      const rawDest = i.args.at(-1) ?? '.';
      const dest = path.posix.resolve(workdir, rawDest);
      const from = i.flags.get('from') ?? null;
      for (const src of srcs) {
        const intoDir = rawDest.endsWith('/') || srcs.length > 1;
        const isDirLike = src === '.' || src.endsWith('/');
        out.push({ dest: intoDir && !isDirLike ? path.posix.join(dest, path.posix.basename(src)) : dest, from, src });
      }
    }
  }
  return out;
}

/** Paths RUN instructions create: absolute prefix -> the RUN content that creates it. */
export type RunOutputs = Record<string, RegExp>;

export interface ImageContext {
  stages: Stage[];
  /** Is a context path (relative to the repository root) present in the build context? */
  inContext: (rel: string) => boolean;
  runOutputs: RunOutputs;
}

/**
 * Does the image of `stage` hold the file or directory `abs`? Follows COPY instructions back to
 * the build context (the repository, minus .dockerignore) or to earlier stages, and RUN outputs.
 */
export function stageHas(stage: Stage, abs: string, ctx: ImageContext, depth = 0): boolean {
  if (depth > 20) return false;
  const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir.replace(/\/$/, '')}/`);
  const runs = chain(stage).flatMap((s) => s.instrs.filter((i) => i.keyword === 'RUN').map((i) => i.content));
  for (const [prefix, re] of Object.entries(ctx.runOutputs)) if (under(abs, prefix) && runs.some((r) => re.test(r))) return true;
  for (const p of placedFiles(stage).reverse()) {
    if (!under(abs, p.dest)) continue;
    const rest = abs.slice(p.dest.replace(/\/$/, '').length).replace(/^\//, '');
    if (p.from === null) {
      const rel = path.posix.join(p.src.replace(/^\.\/?/, ''), rest).replace(/^\.\/?/, '') || '.';
      if (ctx.inContext(rel)) return true;
    } else {
      const from = ctx.stages.find((s) => s.name === p.from);
      if (from && stageHas(from, path.posix.join(p.src, rest), ctx, depth + 1)) return true;
    }
  }
  return false;
}

/** The working directory a stage's container starts in. */
export function workdirOf(stage: Stage): string {
  let wd = '/';
  for (const s of chain(stage).reverse()) for (const i of s.instrs) if (i.keyword === 'WORKDIR') wd = path.posix.resolve(wd, i.args[0] ?? '/');
  return wd;
}

// ------------------------------------------------------------------------------------------------
// repository facts

export interface RepoFacts {
  root: string;
  /** Contents of the root .dockerignore. */
  dockerignore: string;
  /** Workspace package directories (relative), from the root package.json "workspaces". */
  workspaces: string[];
  /** npm version of "packageManager". */
  npmVersion: string;
  /** Node major version of .nvmrc. */
  nodeMajor: string;
}

export function repoFacts(root: string): RepoFacts {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: string[]; packageManager?: string };
  const workspaces: string[] = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const dir = pattern.slice(0, -2);
      if (!existsSync(path.join(root, dir))) continue;
      for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        if (e.isDirectory() && existsSync(path.join(root, dir, e.name, 'package.json'))) workspaces.push(`${dir}/${e.name}`);
      }
    } else if (existsSync(path.join(root, pattern, 'package.json'))) {
      workspaces.push(pattern);
    }
  }
  return {
    root,
    dockerignore: existsSync(path.join(root, '.dockerignore')) ? readFileSync(path.join(root, '.dockerignore'), 'utf8') : '',
    workspaces: workspaces.sort(),
    npmVersion: /^npm@(.+)$/.exec(pkg.packageManager ?? '')?.[1] ?? '',
    nodeMajor: readFileSync(path.join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '').split('.')[0] ?? '',
  };
}

function pathExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------
// Dockerfile checks

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

// ------------------------------------------------------------------------------------------------
// import closure (what an entry point loads at run time)

/** Files and packages an entry point loads. */
export interface ImportClosure {
  /** Repository files (relative, sorted): the sources reached and the manifests of the workspaces resolved. */
  files: string[];
  /** Bare package names imported (not workspaces, not `node:` builtins), sorted. */
  packages: string[];
  /** Workspace package names imported (`@l2scope/...`), sorted. */
  workspaces: string[];
}

/**
 * Follow the static imports (`import ... from`, `export ... from`, `import '...'`, `import('...')`)
 * of a TypeScript entry point through relative paths and workspace packages (resolved by their
 * package.json `exports["."]` or `main`), as tsx does at run time. Type-only imports are skipped.
 * @param root repository root; `entry` is relative to it
 * @throws Error when a relative import resolves to no file
 */
export function importClosure(root: string, entry: string, workspaceDirs: string[]): ImportClosure {
  const byName = new Map<string, string>();
  for (const w of workspaceDirs) {
    const pkg = JSON.parse(readFileSync(path.join(root, w, 'package.json'), 'utf8')) as { name?: string };
    if (pkg.name) byName.set(pkg.name, w);
  }
  const files = new Set<string>();
  const packages = new Set<string>();
  const workspaces = new Set<string>();
  const resolveFile = (abs: string): string | null => {
    const candidates = [abs, `${abs}.ts`, `${abs}.tsx`, abs.replace(/\.js$/, '.ts'), path.join(abs, 'index.ts')];
    return candidates.find((c) => existsSync(c) && lstatSync(c).isFile()) ?? null;
  };
  const todo = [path.join(root, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (files.has(rel)) continue;
    files.add(rel);
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const specs = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
    ];
    for (const spec of specs) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = resolveFile(path.resolve(path.dirname(file), spec));
        if (!target) throw new Error(`${rel}: import '${spec}' resolves to no file`);
        todo.push(target);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      const ws = byName.get(name);
      if (!ws) {
        packages.add(name);
        continue;
      }
      workspaces.add(name);
      files.add(`${ws}/package.json`);
      const pkg = JSON.parse(readFileSync(path.join(root, ws, 'package.json'), 'utf8')) as { exports?: Record<string, string> | string; main?: string };
      const sub = spec.slice(name.length) ? `.${spec.slice(name.length)}` : '.';
      const target = typeof pkg.exports === 'string' ? (sub === '.' ? pkg.exports : undefined) : (pkg.exports?.[sub] ?? (sub === '.' ? pkg.main : undefined));
      if (!target) throw new Error(`${rel}: import '${spec}': ${ws}/package.json exports no ${sub}`);
      const resolved = resolveFile(path.join(root, ws, target));
      if (!resolved) throw new Error(`${rel}: import '${spec}' resolves to no file`);
      todo.push(resolved);
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort(), workspaces: [...workspaces].sort() };
}

// ------------------------------------------------------------------------------------------------
// compose

export type Env = Record<string, string | undefined>;

/** Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$. */
export function interpolate(value: string, env: Env): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (m === '$$') return '$';
      const key = (name ?? bare)!;
      const v = env[key];
      const unset = v === undefined || ((op === ':-' || op === ':?') && v === '');
      if (!unset) return v!;
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') throw new Error(`required variable ${key} is missing: ${arg ?? ''}`);
      return '';
    },
  );
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string } | string;
  environment?: Record<string, string | number | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  restart?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function parseCompose(text: string): ComposeFile {
  return parseYaml(text, { merge: true }) as ComposeFile;
}

export function resolveCompose(doc: ComposeFile, env: Env): ComposeFile {
  return mapStrings(doc, (s) => interpolate(s, env)) as ComposeFile;
}

export function envOf(s: ComposeService): Record<string, string> {
  const e = s.environment;
  if (!e) return {};
  if (Array.isArray(e))
    return Object.fromEntries(
      e.map((x) => {
        const i = x.indexOf('=');
        return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i + 1)];
      }),
    );
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function dependsOf(s: ComposeService): Record<string, string> {
  const d = s.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v?.condition ?? 'service_started']));
}

/** Short-syntax port mappings as {host, container} (after interpolation). */
export function portsOf(s: ComposeService): { host: string; container: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: String(p.published ?? ''), container: p.target };
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.at(-1));
    return { host: parts.length > 1 ? parts.at(-2)! : '', container };
  });
}

function buildOf(s: ComposeService): { context: string; dockerfile: string; target?: string } | null {
  if (!s.build) return null;
  if (typeof s.build === 'string') return { context: s.build, dockerfile: 'Dockerfile' };
  return { context: s.build.context ?? '.', dockerfile: s.build.dockerfile ?? 'Dockerfile', target: s.build.target };
}

/** Environment variable names read by source files (`env.NAME`, `env['NAME']`). */
export function envNamesRead(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.|\[\s*['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  }
  return names;
}

/** Source files under some directories (ts, tsx, mjs, js), generated code and node_modules skipped. */
export function sourceFiles(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'generated' || e.name === '.next' || e.name === 'test') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tsx?|m?js)$/.test(e.name)) out.push(p);
    }
  };
  for (const d of dirs) {
    const p = path.join(root, d);
    if (existsSync(p) && lstatSync(p).isFile()) out.push(p);
    else walk(p);
  }
  return out;
}

export interface ComposeExpectations {
  composeDir: string;
  repoRoot: string;
  /** Services that must exist. */
  services: string[];
  /** depends_on conditions that must be present: service -> dependency -> condition. */
  dependsOn: Record<string, Record<string, string>>;
  /** Environment variables each service must set. */
  requiredEnv: Record<string, string[]>;
  /** Environment variable names each service may set (what its program reads). */
  allowedEnv: Record<string, Set<string>>;
  /** Services that must keep data on a named volume: service -> container path. */
  dataVolumes: Record<string, string>;
}

/** Dockerfile stages and their effective HEALTHCHECK, per Dockerfile path. */
function dockerfileInfo(file: string): { stages: Map<string, Stage> } {
  const { stages } = parseDockerfile(readFileSync(file, 'utf8'));
  return { stages: new Map(stages.filter((s) => s.name).map((s) => [s.name!, s])) };
}

/**
 * Checks of the compose file. `raw` is the file as written (for secrets and required variables),
 * `env` the variables to resolve it with (e.g. docker/.env.example).
 */
export function checkCompose(raw: ComposeFile, env: Env, exp: ComposeExpectations): string[] {
  const problems: string[] = [];
  let doc: ComposeFile;
  try {
    doc = resolveCompose(raw, env);
  } catch (err) {
    return [`cannot resolve the compose file with the given environment: ${(err as Error).message}`];
  }
  const services = doc.services ?? {};
  for (const name of exp.services) if (!services[name]) problems.push(`service ${name} is missing`);

  const healthy = (name: string): boolean => {
    const s = services[name];
    if (!s) return false;
    if (s.healthcheck?.disable) return false;
    if (s.healthcheck?.test) {
      const t = s.healthcheck.test;
      return !(Array.isArray(t) ? t[0] === 'NONE' : t === 'NONE');
    }
    const b = buildOf(s);
    if (!b?.target) return false;
    const file = path.resolve(exp.composeDir, b.context, b.dockerfile);
    if (!existsSync(file)) return false;
    const stage = dockerfileInfo(file).stages.get(b.target);
    const hc = stage && effective(stage, 'HEALTHCHECK');
    return !!hc && !/^NONE\b/i.test(hc.content.trim());
  };

  for (const [name, s] of Object.entries(services)) {
    // build: context, Dockerfile, target
    const b = buildOf(s);
    if (b) {
      const ctx = path.resolve(exp.composeDir, b.context);
      const file = path.resolve(ctx, b.dockerfile);
      if (!existsSync(ctx)) problems.push(`${name}: build context ${b.context} does not exist`);
      if (!existsSync(file)) problems.push(`${name}: dockerfile ${b.dockerfile} does not exist in the context ${ctx}`);
      else if (b.target && !dockerfileInfo(file).stages.has(b.target)) problems.push(`${name}: target ${b.target} is not a stage of ${b.dockerfile}`);
      if (ctx !== exp.repoRoot) problems.push(`${name}: build context ${ctx} is not the repository root (the Dockerfile copies from the root)`);
      const m = /^l2scope\/([a-z-]+)(:|$)/.exec(s.image ?? '');
      if (m && m[1] !== b.target) problems.push(`${name}: image ${s.image} is built from target ${b.target}`);
    } else if ((s.image ?? '').startsWith('l2scope/')) {
      problems.push(`${name}: uses ${s.image} without a build section (compose would try to pull it)`);
    } else if (!s.image) {
      problems.push(`${name}: neither image nor build`);
    }

    // dependencies
    for (const [dep, cond] of Object.entries(dependsOf(s))) {
      const d = services[dep];
      if (!d) {
        problems.push(`${name}: depends on unknown service ${dep}`);
        continue;
      }
      if (cond === 'service_healthy' && !healthy(dep)) problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no health check`);
      if (cond === 'service_completed_successfully' && d.restart && d.restart !== 'no')
        problems.push(`${name}: waits for ${dep} to complete, but ${dep} restarts (${d.restart})`);
      if (d.profiles?.length && !s.profiles?.length)
        problems.push(`${name} (always on) depends on ${dep}, which only runs with profile ${d.profiles.join(',')}`);
    }

    // environment names
    const allowed = exp.allowedEnv[name];
    if (allowed) for (const k of Object.keys(envOf(s))) if (!allowed.has(k)) problems.push(`${name}: sets ${k}, which its program never reads`);
    for (const k of exp.requiredEnv[name] ?? []) if (!(k in envOf(s))) problems.push(`${name}: does not set ${k}`);
  }
  for (const [svc, deps] of Object.entries(exp.dependsOn)) {
    const got = services[svc] ? dependsOf(services[svc]) : {};
    for (const [dep, cond] of Object.entries(deps))
      if (got[dep] !== cond) problems.push(`${svc}: depends_on ${dep} should be ${cond} (is ${got[dep] ?? 'absent'})`);
  }

  // volumes
  for (const [svc, target] of Object.entries(exp.dataVolumes)) {
    const vols = (services[svc]?.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v));
    const v = vols.find((x) => x.target === target);
    if (!v?.source || v.source.startsWith('.') || v.source.startsWith('/')) problems.push(`${svc}: ${target} is not on a named volume`);
    else if (!doc.volumes || !(v.source in doc.volumes)) problems.push(`${svc}: volume ${v.source} is not declared under top-level volumes`);
  }

  // secrets: passwords only through required variables, never literal
  for (const [name, s] of Object.entries(raw.services ?? {})) {
    for (const [k, v] of Object.entries(envOf(s))) {
      if (/PASS|SECRET|TOKEN/.test(k) && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(v))
        problems.push(`${name}: ${k} must come from a required variable (\${VAR:?...}), is ${JSON.stringify(v)}`);
      // interpolations as opaque tokens, so a `:` inside ${VAR:-x} does not split user:password
      const tokens: string[] = [];
      const masked = v.replace(/\$\{[^}]*\}/g, (m) => `\uE000${tokens.push(m) - 1}\uE000`);
      const cred = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@]*)@/i.exec(masked);
      const password = cred?.[1]?.replace(/\uE000(\d+)\uE000/g, (_, n: string) => tokens[Number(n)]!);
      if (password !== undefined && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(password))
        problems.push(`${name}: ${k} embeds a password that is not a required variable: ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/** Parse a KEY=VALUE env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf('=');
    if (i > 0) out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

/** Variables a compose file requires (${VAR:?...} / ${VAR?...}) in its values (not its comments). */
export function requiredVariables(doc: ComposeFile): Set<string> {
  const out = new Set<string>();
  mapStrings(doc, (v) => {
    for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) out.add(m[1]!);
    return v;
  });
  return out;
}
