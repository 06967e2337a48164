/**
 * The Dockerfile as the checks read it: stages (FROM ... AS), their instructions with ARG/ENV
 * expanded, the chain of bases, what each stage's COPY/ADD places where, and whether a path
 * exists in an image.
 */
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

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
