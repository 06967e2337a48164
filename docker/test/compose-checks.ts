/**
 * Offline checks of docker/compose.yaml (and docker/.env.example) against the apps and the
 * Dockerfile: a list of problems (empty = fine), so the tests run them on the real files and on
 * deliberately broken copies. Also the env names the apps' sources read.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Stage, effective, parseDockerfile } from './dockerfile-model';

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
