#!/usr/bin/env node
/**
 * Rewrite citations of the two documents that never were in the repository, `DESIGN §n` (the
 * design brief) and `RECIPE §n` / `RECIPE gotcha n` (the lab recipe), into links to the project's
 * own pages: docs/l2pop.md, docs/wire-format.md, docs/lab.md and ARCHITECTURE.md.
 *
 *   node scripts/rewrite-doc-citations.mjs [--dry-run] [--root DIR]
 *
 * Pattern-based, not line-based: it can run on any later state of the tree (files moved, split,
 * renamed). Idempotent: the rewritten forms (`docs/lab.md#gotcha-12`) match none of the patterns,
 * so a second run changes nothing. Prints every change and every citation it could not map;
 * exits 1 when one is left unmapped, 2 when a target anchor is missing from the docs.
 *
 * Forms handled (a "group" is a keyword followed by refs joined by `,` `;` `and`):
 * - `DESIGN §2`, `DESIGN §1, §4 "flood lists"`, `DESIGN §2 "Tap rules"`, `DESIGN §3, §5`
 * - `RECIPE §4.4; gotcha 1`, `RECIPE §5 mixed, gotcha 13`, `RECIPE §5 *switch-noclean*`,
 *   `RECIPE §4.1, gotchas 2 and 4, §9(c)`, `RECIPE gotcha 12`
 * - bare `gotcha 7` / `gotchas 11 and 12` anywhere (they only ever meant the recipe's), and bare
 *   `§9`, `§9(b)` in apps/lab (whose comments cite the recipe without its name; `RFC 7047 §5.1`
 *   is left alone)
 * - paths to the documents themselves: `../shared/lab/RECIPE.md`, `../lab/RECIPE.md`, `DESIGN.md`,
 *   and `../shared/fixtures/` (the captures are in the repository's own `fixtures/`)
 * In Markdown files (outside code) the target becomes a relative link; elsewhere the plain
 * repository path `docs/lab.md#gotcha-12`.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------------------------------ mapping

/** DESIGN sections: the brief's §1 primer, §2 wire format, §3 node state, §4 derived model, §5 architecture, §6 machine. */
const DESIGN = {
  1: 'docs/l2pop.md#primer',
  2: 'docs/wire-format.md',
  3: 'docs/l2pop.md#node-state',
  4: 'docs/l2pop.md#derived-model',
  5: 'ARCHITECTURE.md',
  6: 'docs/lab.md#requirements',
};
/** DESIGN section + quoted qualifier (lower case). */
const DESIGN_QUALIFIED = {
  '1 bum': 'docs/l2pop.md#terms',
  '2 tap rules': 'docs/wire-format.md#tap-rules',
  '2 envelope': 'docs/wire-format.md#envelope',
  '4 drift': 'docs/l2pop.md#drift',
  '4 drift classes': 'docs/l2pop.md#drift',
  '4 flood lists': 'docs/l2pop.md#flood-lists',
  '4 flood list': 'docs/l2pop.md#flood-lists',
  '4 convergence': 'docs/l2pop.md#convergence',
  '4 expected fdb': 'docs/l2pop.md#expected-fdb',
};
/**
 * An unqualified DESIGN section whose subject is named on the same line: the precise place.
 * (Looked for in the text before the citation on its line.)
 */
const DESIGN_CONTEXT = [
  { section: '1', when: /\bBUM meter\b/i, target: 'docs/l2pop.md#bum-meter' },
  { section: '1', when: /\bBUM\b/, target: 'docs/l2pop.md#terms' },
  { section: '2', when: /bindings of the l2scope tap|tap bindings/i, target: 'docs/wire-format.md#tap-bindings' },
  { section: '2', when: /own exchange|l2scope\.node/i, target: 'docs/wire-format.md#node-exchange' },
  { section: '2', when: /envelope/i, target: 'docs/wire-format.md#envelope' },
  { section: '2', when: /report_state/i, target: 'docs/wire-format.md#report-state' },
];

/** RECIPE sections, lettered sub-items and qualifiers -> docs/lab.md anchors (or a full target). */
const RECIPE = {
  1: 'layout',
  2: 'versions',
  3: 'topology',
  4: 'up',
  4.1: 'packages',
  4.2: 'broker',
  4.3: 'database',
  4.4: 'server',
  4.5: 'fabric',
  4.6: 'amqp-relay',
  4.7: 'agents',
  4.8: 'network-and-vms',
  5: 'labs',
  6: 'docs/wire-format.md#observed-traffic',
  7: 'timings',
  8: 'gotchas',
  9: 'ovs-host',
  '9(a)': 'ovs-udp-port',
  '9(b)': 'ovs-br-phy',
  '9(c)': 'ovs-tx-checksum',
  10: 'not-covered',
  11: 'captures',
};
const RECIPE_QUALIFIED = {
  '5 mixed': 'mixed',
  '5 switch-noclean': 'switch-noclean',
  '5 in-place': 'switch-noclean',
  '5 lab1': 'lab1',
  '5 lab2': 'lab2',
  '5 lab3': 'lab3',
};
/** Gotchas 1..GOTCHAS exist in docs/lab.md as `#gotcha-<n>`. */
const GOTCHAS = 17;

const labTarget = (anchor) => (anchor.includes('/') || anchor.endsWith('.md') ? anchor : `docs/lab.md#${anchor}`);

/**
 * Target of one ref, or null.
 * @param {'DESIGN'|'RECIPE'} doc
 * @param {{kind:'section', num:string, letter?:string, qual?:string} | {kind:'gotcha', num:string}} ref
 * @param {string} before text of the line before the citation (for DESIGN_CONTEXT)
 */
function targetOf(doc, ref, before) {
  if (ref.kind === 'gotcha') {
    if (doc !== 'RECIPE') return null;
    const n = Number(ref.num);
    return Number.isInteger(n) && n >= 1 && n <= GOTCHAS ? `docs/lab.md#gotcha-${n}` : null;
  }
  const qual = ref.qual?.toLowerCase();
  if (doc === 'DESIGN') {
    if (ref.letter) return null;
    if (qual) return DESIGN_QUALIFIED[`${ref.num} ${qual}`] ?? DESIGN[ref.num] ?? null;
    for (const c of DESIGN_CONTEXT) if (c.section === ref.num && c.when.test(before)) return c.target;
    return DESIGN[ref.num] ?? null;
  }
  if (qual) {
    const q = RECIPE_QUALIFIED[`${ref.num} ${qual}`];
    return q ? labTarget(q) : null;
  }
  const key = ref.letter ? `${ref.num}(${ref.letter})` : ref.num;
  const anchor = RECIPE[key];
  return anchor ? labTarget(anchor) : null;
}

// ------------------------------------------------------------------------------------ parsing

const SECTION = /§\s?(\d+(?:\.\d+)?)(?:\s?\(([a-z])\))?/y;
const QUALIFIER = /\s+(?:"([^"\n]+)"|\*([A-Za-z0-9-]+)\*|(mixed|switch-noclean|in-place|[Ll]ab[123])(?![\w-]))/y;
const GOTCHA = /[Gg]otchas?\s+(\d+)((?:\s*(?:,\s*and|,|and)\s*\d+)*)/y;
const SEPARATOR = /\s*(?:,\s*and|,|;|and)\s*/y;
const KEYWORD = /\b(DESIGN|RECIPE)\s+(?=§|[Gg]otcha)/g;
const BARE_GOTCHA = /(?<![\w#-])(?<!(?:DESIGN|RECIPE)\s)[Gg]otchas?\s+\d+(?:\s*(?:,\s*and|,|and)\s*\d+)*/g;
const BARE_SECTION = /(?<!RFC\s\d+\s)(?<![\w#§])§\s?\d+(?:\.\d+)?(?:\s?\([a-z]\))?/g;
const DOC_PATH = /`(?:\.{1,2}\/)*(?:[\w.-]+\/)*(RECIPE|DESIGN)\.md`|(?:\.{1,2}\/)*(?:[\w.-]+\/)*(RECIPE|DESIGN)\.md/g;
const SHARED_FIXTURES = /(?:\.\.\/)+shared\/fixtures\//g;

/** Match a sticky regex at `pos`. */
function at(re, text, pos) {
  re.lastIndex = pos;
  return re.exec(text);
}

/**
 * Parse the refs of a group starting at `pos`.
 * @returns {{ items: Array<{start:number,end:number,ref:object}|{start:number,end:number,sep:string}>, end:number }}
 */
function parseGroup(text, pos) {
  const items = [];
  let p = pos;
  for (;;) {
    const refs = parseRef(text, p);
    if (!refs) break;
    items.push(...refs.items);
    p = refs.end;
    const sep = at(SEPARATOR, text, p);
    if (!sep || !parseRef(text, p + sep[0].length)) break;
    items.push({ start: p, end: p + sep[0].length, sep: sep[0] });
    p += sep[0].length;
  }
  return { items, end: p };
}

/** One ref (`§n[(x)] [qualifier]`) or one gotcha list (`gotchas 2 and 4`, split per number). */
function parseRef(text, pos) {
  const s = at(SECTION, text, pos);
  if (s) {
    let end = pos + s[0].length;
    const q = at(QUALIFIER, text, end);
    const ref = { kind: 'section', num: s[1], letter: s[2] };
    if (q) {
      ref.qual = q[1] ?? q[2] ?? q[3];
      end += q[0].length;
    }
    return { items: [{ start: pos, end, ref }], end };
  }
  const g = at(GOTCHA, text, pos);
  if (g) {
    const end = pos + g[0].length;
    // one item per number, the words between them kept as separators
    const items = [];
    const nums = /\d+/g;
    let m;
    let last = pos;
    let first = true;
    while ((m = nums.exec(g[0])) !== null) {
      const s0 = pos + m.index;
      if (!first) items.push({ start: last, end: s0, sep: text.slice(last, s0) });
      items.push({ start: first ? pos : s0, end: s0 + m[0].length, ref: { kind: 'gotcha', num: m[0] } });
      last = s0 + m[0].length;
      first = false;
    }
    return { items, end };
  }
  return null;
}

// ------------------------------------------------------------------------------------ rendering

/** Render a target for `file`: a relative Markdown link (Markdown outside code), else the plain path. */
function render(target, file, markdownLink) {
  if (!markdownLink) return target;
  const [p, anchor] = target.split('#');
  const rel = path.posix.relative(path.posix.dirname(file), p);
  return `[\`${target}\`](${rel}${anchor ? `#${anchor}` : ''})`;
}

/** Whether offset `i` of `line` is inside an inline code span (odd number of backticks before it). */
function inInlineCode(line, i) {
  return (line.slice(0, i).match(/`/g) ?? []).length % 2 === 1;
}

/**
 * Rewrite one line.
 * @returns {{ line: string, rewritten: Array<{from:string,to:string}>, unmapped: string[] }}
 */
function rewriteLine(line, file, { markdown, inFence, labFile }) {
  const rewritten = [];
  const unmapped = [];
  const link = (i) => markdown && !inFence && !inInlineCode(line, i);

  // 1. paths to the documents themselves, and to the shared fixtures
  line = line.replace(DOC_PATH, (m, quotedDoc, plainDoc, offset) => {
    const doc = quotedDoc ?? plainDoc;
    const target = doc === 'RECIPE' ? 'docs/lab.md' : 'ARCHITECTURE.md';
    const quoted = m.startsWith('`');
    const to = render(target, file, markdown && !inFence && (quoted || !inInlineCode(line, offset)));
    rewritten.push({ from: m, to, pattern: `${doc}.md`, target });
    return to;
  });
  line = line.replace(SHARED_FIXTURES, (m) => {
    rewritten.push({ from: m, to: 'fixtures/', pattern: '../shared/fixtures/', target: 'fixtures/' });
    return 'fixtures/';
  });

  // 2. keyword groups: DESIGN §n..., RECIPE §n... / gotcha n...
  let out = '';
  let last = 0;
  KEYWORD.lastIndex = 0;
  let k;
  while ((k = KEYWORD.exec(line)) !== null) {
    const doc = k[1];
    const groupStart = k.index + k[0].length;
    const { items, end } = parseGroup(line, groupStart);
    if (!items.length) continue;
    const before = line.slice(0, k.index);
    const targets = items.map((it) => (it.ref ? targetOf(doc, it.ref, before) : null));
    // an unmappable ref leaves the whole group as it is: step 5 reports it
    if (items.some((it, i) => it.ref && targets[i] === null)) continue;
    const asLink = link(k.index);
    let text = '';
    items.forEach((it, i) => {
      if (it.sep !== undefined) text += it.sep;
      else {
        text += render(targets[i], file, asLink);
        rewritten.push({ from: `${doc} ${line.slice(it.start, it.end).trim()}`, to: targets[i], pattern: patternOf(doc, it.ref), target: targets[i] });
      }
    });
    out += line.slice(last, k.index) + text;
    last = end;
    KEYWORD.lastIndex = end;
  }
  line = out + line.slice(last);

  // 3. bare gotchas (always the recipe's)
  line = line.replace(BARE_GOTCHA, (m, offset) => {
    const { items } = parseRef(line, offset);
    const targets = items.map((it) => (it.ref ? targetOf('RECIPE', it.ref, '') : null));
    if (items.some((it, i) => it.ref && targets[i] === null)) {
      unmapped.push(m);
      return m;
    }
    return items
      .map((it, i) => {
        if (it.sep !== undefined) return it.sep;
        rewritten.push({ from: line.slice(it.start, it.end).trim(), to: targets[i], pattern: patternOf('(bare)', it.ref), target: targets[i] });
        return render(targets[i], file, link(offset));
      })
      .join('');
  });

  // 4. bare sections in apps/lab (the recipe's, cited without its name)
  if (labFile) {
    line = line.replace(BARE_SECTION, (m, offset) => {
      const s = at(SECTION, line, offset);
      const ref = { kind: 'section', num: s[1], letter: s[2] };
      const target = targetOf('RECIPE', ref, '');
      if (!target) {
        unmapped.push(m);
        return m;
      }
      rewritten.push({ from: m, to: target, pattern: patternOf('(bare, apps/lab)', ref), target });
      return render(target, file, link(offset));
    });
  }

  // 5. anything of either document still there could not be mapped
  for (const m of line.matchAll(/\b(?:DESIGN|RECIPE)\b(?:\s+[^\s,;)]+){0,2}/g)) unmapped.push(m[0]);
  return { line, rewritten, unmapped };
}

/** The mapping pattern a ref was matched by, for the summary table. */
function patternOf(doc, ref) {
  if (ref.kind === 'gotcha') return `${doc} gotcha ${ref.num}`;
  return `${doc} §${ref.num}${ref.letter ? `(${ref.letter})` : ''}${ref.qual ? ` ${ref.qual}` : ''}`;
}

// ------------------------------------------------------------------------------------ files

const SKIP_DIRS = new Set(['node_modules', '.git', '.next', '.turbo', 'dist', 'build', 'coverage', 'generated', 'test-results', 'playwright-report', 'data']);
const EXTENSIONS = /\.(?:[cm]?[jt]sx?|sh|bash|md|mdx|prisma|ya?ml|toml|tsv)$|(?:^|\/)Dockerfile[^/]*$/;
/** The pages the citations point to (they define the anchors) and this script. */
const SKIP_FILES = new Set(['ARCHITECTURE.md', 'scripts/rewrite-doc-citations.mjs']);
const SKIP_PREFIXES = ['docs/'];

function* walk(root, dir = '') {
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    const st = statSync(path.join(root, rel));
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) yield* walk(root, rel);
    } else if (st.isFile() && EXTENSIONS.test(rel) && !SKIP_FILES.has(rel) && !SKIP_PREFIXES.some((p) => rel.startsWith(p)) && st.size < 4_000_000) {
      yield rel;
    }
  }
}

/** Anchors (`<a id="...">`) of every target page, to check that each mapping lands somewhere. */
function checkTargets(root) {
  const anchors = new Map();
  const all = [
    ...Object.values(DESIGN),
    ...Object.values(DESIGN_QUALIFIED),
    ...DESIGN_CONTEXT.map((c) => c.target),
    ...Object.values(RECIPE).map(labTarget),
    ...Object.values(RECIPE_QUALIFIED).map(labTarget),
    ...Array.from({ length: GOTCHAS }, (_, i) => `docs/lab.md#gotcha-${i + 1}`),
    'docs/lab.md',
    'ARCHITECTURE.md',
  ];
  const missing = [];
  for (const t of new Set(all)) {
    const [file, anchor] = t.split('#');
    if (!anchors.has(file)) {
      let text = null;
      try {
        text = readFileSync(path.join(root, file), 'utf8');
      } catch {
        // missing page
      }
      anchors.set(file, text === null ? null : new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1])));
    }
    const ids = anchors.get(file);
    if (ids === null || (anchor && !ids.has(anchor))) missing.push(t);
  }
  return missing;
}

function main() {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const rootArg = args.indexOf('--root');
  const root = rootArg >= 0 ? path.resolve(args[rootArg + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

  const missing = checkTargets(root);
  if (missing.length) {
    console.error(`target anchors missing from the docs: ${missing.join(', ')}`);
    process.exit(2);
  }

  const tally = new Map();
  const unmappedAll = [];
  let files = 0;
  let count = 0;
  for (const rel of walk(root)) {
    const text = readFileSync(path.join(root, rel), 'utf8');
    if (!/DESIGN|RECIPE|gotcha|§|shared\/fixtures/.test(text)) continue;
    const markdown = /\.mdx?$/.test(rel);
    const labFile = rel.startsWith('apps/lab/');
    let inFence = false;
    let changed = false;
    const lines = text.split('\n').map((line, i) => {
      if (markdown && /^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return line;
      }
      const r = rewriteLine(line, rel, { markdown, inFence, labFile });
      for (const u of r.unmapped) unmappedAll.push(`${rel}:${i + 1}: ${u.trim()}`);
      if (r.line !== line) {
        changed = true;
        console.log(`${rel}:${i + 1}`);
        console.log(`  - ${line.trim()}`);
        console.log(`  + ${r.line.trim()}`);
      }
      for (const w of r.rewritten) {
        count++;
        const key = `${w.pattern} -> ${w.target}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      return r.line;
    });
    if (changed) {
      files++;
      if (!dryRun) writeFileSync(path.join(root, rel), lines.join('\n'));
    }
  }

  console.log(`\n${dryRun ? 'would rewrite' : 'rewrote'} ${count} citation(s) in ${files} file(s)`);
  for (const [key, n] of [...tally].sort()) console.log(`  ${String(n).padStart(3)}  ${key}`);
  if (unmappedAll.length) {
    console.log(`\nunmapped (${unmappedAll.length}):`);
    for (const u of unmappedAll) console.log(`  ${u}`);
    process.exit(1);
  }
  console.log('unmapped: none');
}

main();
