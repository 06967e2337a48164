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

export interface DockerfileExpectations {
  /** Targets that must exist, with what their image must provide. */
  targets: Record<
    string,
    {
      /** Port the process listens on: EXPOSE and ENV[portEnv] must equal it. */
      port: number;
      portEnv: string;
      /** HTTP path the HEALTHCHECK probes. */
      healthPath: string;
      /** Repository files the image must contain (relative to the repo and to the image's /app). */
      files: string[];
    }
  >;
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
    else if (s.base !== `node:${repo.nodeMajor}-bookworm-slim`) problems.push(`stage ${s.name}: base image ${s.base} is not node:${repo.nodeMajor}-bookworm-slim (.nvmrc says Node ${repo.nodeMajor})`);
  }

  // npm: version, install (never ci), no browser download
  const npmArg = stages.flatMap((s) => s.instrs).find((i) => i.keyword === 'ARG' && i.args[0]?.startsWith('NPM_VERSION='));
  const npmVersion = npmArg?.args[0]?.split('=')[1] ?? args.get('NPM_VERSION');
  if (npmVersion !== repo.npmVersion) problems.push(`ARG NPM_VERSION=${npmVersion ?? '(none)'} differs from packageManager npm@${repo.npmVersion}`);
  for (const { s, i } of allRuns) {
    if (/\bnpm\s+ci\b/.test(i.content)) problems.push(`line ${i.line} (${s.name}): npm ci refuses this lockfile (missing darwin/win32 optional builds): use npm install`);
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
      if (!before.has(f) && !before.has('.')) problems.push(`${f} is not copied before \`npm install\` (line ${install.i.line}): npm would miss workspace ${path.dirname(f)}`);
    }
  }
  const buildStage = byName.get('build');
  const buildRuns = buildStage ? buildStage.instrs.filter((i) => i.keyword === 'RUN').map((i) => i.content).join('\n') : '';
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

  // runtime targets: user, health check, port, files, entrypoint
  for (const [name, t] of Object.entries(exp.targets)) {
    const s = byName.get(name);
    if (!s) continue;
    const user = effective(s, 'USER')?.args[0];
    if (!user) problems.push(`target ${name} runs as root (no USER)`);
    else if (/^(root|0)(:.*)?$/.test(user)) problems.push(`target ${name} runs as root (USER ${user})`);
    const env = stageEnv(s);
    const hc = effective(s, 'HEALTHCHECK');
    const hcCmd = hc ? execForm(hc.content.replace(/^CMD\s+/i, '')) : null;
    if (!hc) problems.push(`target ${name} has no HEALTHCHECK`);
    else if (/^NONE\b/i.test(hc.content.trim())) problems.push(`target ${name}: HEALTHCHECK NONE`);
    else if (!hcCmd) problems.push(`target ${name}: HEALTHCHECK is not an exec-form CMD [...]`);
    else {
      if (!hcCmd.includes(t.healthPath)) problems.push(`target ${name}: HEALTHCHECK does not probe ${t.healthPath}: ${hcCmd.join(' ')}`);
      if (!hcCmd.includes(t.portEnv)) problems.push(`target ${name}: HEALTHCHECK does not follow ${t.portEnv}: ${hcCmd.join(' ')}`);
      const script = hcCmd.find((a) => /\.m?[jt]s$/.test(a));
      if (script && !has(s, path.posix.resolve(workdirOf(s), script))) problems.push(`target ${name}: HEALTHCHECK script ${script} is not copied into the image`);
    }
    if (env.get(t.portEnv) !== String(t.port)) problems.push(`target ${name}: ENV ${t.portEnv}=${env.get(t.portEnv) ?? '(unset)'}, expected ${t.port}`);
    const exposed = chain(s).flatMap((c) => c.instrs.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.map((a) => a.split('/')[0])));
    if (!exposed.includes(String(t.port))) problems.push(`target ${name}: EXPOSE ${t.port} missing (has ${exposed.join(', ') || 'none'})`);
    for (const f of t.files) {
      if (!pathExists(path.join(repo.root, f))) problems.push(`target ${name}: ${f} does not exist in the repository`);
      if (!has(s, path.posix.join(exp.appDir, f))) problems.push(`target ${name}: ${f} is not copied into the image`);
    }
    const entry = [...(execForm(effective(s, 'ENTRYPOINT')?.content ?? '') ?? []), ...(execForm(effective(s, 'CMD')?.content ?? '') ?? [])];
    if (entry.length === 0) problems.push(`target ${name}: no exec-form ENTRYPOINT/CMD`);
    for (const a of entry) {
      if (!/\.(m?[jt]s)$/.test(a) && !a.includes('/node_modules/')) continue;
      if (!has(s, path.posix.resolve(workdirOf(s), a))) problems.push(`target ${name}: ${a} (command) is not in the image`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// compose

export type Env = Record<string, string | undefined>;

/** Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$. */
export function interpolate(value: string, env: Env): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$';
    const key = (name ?? bare)!;
    const v = env[key];
    const unset = v === undefined || ((op === ':-' || op === ':?') && v === '');
    if (!unset) return v!;
    if (op === ':-' || op === '-') return arg ?? '';
    if (op === ':?' || op === '?') throw new Error(`required variable ${key} is missing: ${arg ?? ''}`);
    return '';
  });
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
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
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
      if (cond === 'service_completed_successfully' && d.restart && d.restart !== 'no') problems.push(`${name}: waits for ${dep} to complete, but ${dep} restarts (${d.restart})`);
      if (d.profiles?.length && !s.profiles?.length) problems.push(`${name} (always on) depends on ${dep}, which only runs with profile ${d.profiles.join(',')}`);
    }

    // environment names
    const allowed = exp.allowedEnv[name];
    if (allowed) for (const k of Object.keys(envOf(s))) if (!allowed.has(k)) problems.push(`${name}: sets ${k}, which its program never reads`);
    for (const k of exp.requiredEnv[name] ?? []) if (!(k in envOf(s))) problems.push(`${name}: does not set ${k}`);
  }
  for (const [svc, deps] of Object.entries(exp.dependsOn)) {
    const got = services[svc] ? dependsOf(services[svc]) : {};
    for (const [dep, cond] of Object.entries(deps)) if (got[dep] !== cond) problems.push(`${svc}: depends_on ${dep} should be ${cond} (is ${got[dep] ?? 'absent'})`);
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
      if (/PASS|SECRET|TOKEN/.test(k) && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(v)) problems.push(`${name}: ${k} must come from a required variable (\${VAR:?...}), is ${JSON.stringify(v)}`);
      // interpolations as opaque tokens, so a `:` inside ${VAR:-x} does not split user:password
      const tokens: string[] = [];
      const masked = v.replace(/\$\{[^}]*\}/g, (m) => `\uE000${tokens.push(m) - 1}\uE000`);
      const cred = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@]*)@/i.exec(masked);
      const password = cred?.[1]?.replace(/\uE000(\d+)\uE000/g, (_, n: string) => tokens[Number(n)]!);
      if (password !== undefined && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(password)) problems.push(`${name}: ${k} embeds a password that is not a required variable: ${JSON.stringify(v)}`);
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
