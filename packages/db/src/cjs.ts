/**
 * The exports of a CommonJS module loaded by `import()`. Node and tsx put its named exports on
 * the namespace object; Playwright's loader (which runs the e2e stacks and `npm run perf`, and
 * so the first `migrate()` on a machine without a template database) gives only `default`, the
 * module's `exports` object. Either shape in, the module's exports out.
 * @param ns what `await import(specifier)` returned
 */
export function cjsExports<T extends object>(ns: T): T {
  const def = (ns as { default?: unknown }).default;
  const onlyDefault = Object.keys(ns).every((k) => k === 'default' || k === '__esModule');
  return onlyDefault && def !== null && typeof def === 'object' ? (def as T) : ns;
}
