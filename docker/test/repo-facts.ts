/**
 * What the docker/ checks read from the repository: workspaces, .nvmrc, packageManager,
 * .dockerignore, and the import closure of an entry point (what it loads at run time).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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

export function pathExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

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
