// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for Prisma internals, needed by consumers compiling this file
/// <reference path="./prisma-internals.d.ts" />
/**
 * Prisma's WebAssembly schema engine, driven through a driver adapter: what `prisma migrate`
 * does with the native engine, without the native engine (which cannot be downloaded here).
 *
 * Internal Prisma APIs used (exact versions pinned in package.json):
 * - @prisma/schema-engine-wasm: the engine itself (`SchemaEngine.new(options, debug, adapter)`).
 *   Instantiated like packages/internals/src/WasmSchemaEngineLoader.ts does, but from the
 *   .wasm file of that package: @prisma/internals looks for it in `../build/`, which only exists
 *   inside the bundled `prisma` CLI.
 * - @prisma/migrate: `SchemaEngineWasm` (packages/migrate/src/SchemaEngineWasm.ts) for error
 *   handling, `listMigrations` (packages/migrate/src/utils/listMigrations.ts).
 * - @prisma/driver-adapter-utils: `bindMigrationAwareSqlAdapterFactory` (public).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  ColumnTypeEnum,
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine as WasmEngine, SchemaContainer, DiffTarget, SchemaFilter } from '@prisma/schema-engine-wasm';
import type { SchemaEngineWasm } from '@prisma/migrate';
import { cjsExports } from './cjs';

type WasmEngineClass = typeof WasmEngine;

/** The part of the WebAssembly global used here (the project's `lib` has no DOM typings). */
interface WasmGlobal {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

let engineClass: Promise<WasmEngineClass> | undefined;

/** Loads and starts the Wasm module once per process; returns its `SchemaEngine` class. */
function loadEngineClass(): Promise<WasmEngineClass> {
  engineClass ??= (async () => {
    const glue = cjsExports(await import('@prisma/schema-engine-wasm/schema_engine_bg'));
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    const module = await Wasm.compile(bytes);
    const instance = await Wasm.instantiate(module, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine;
  })();
  engineClass.catch(() => {
    engineClass = undefined;
  });
  return engineClass;
}

/** No filter: l2scope owns every table of its database. */
export const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/** A started schema engine bound to one adapter; `stop()` frees it (not the adapter's pool). */
export interface Engine {
  readonly wasm: SchemaEngineWasm;
  /**
   * `prisma migrate diff --script` between two targets; '' when there is nothing to do.
   * `filters.externalTables`: tables of a described database to leave out (simple names).
   */
  diffScript(from: DiffTarget, to: DiffTarget, filters?: SchemaFilter): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the schema engine on `adapter` for a schema (datasource + models files).
 * Throws what Prisma throws (EngineError / RustPanic / the adapter's error).
 */
export async function startEngine(adapter: SqlMigrationAwareDriverAdapterFactory, files: SchemaContainer[]): Promise<Engine> {
  const [EngineClass, { SchemaEngineWasm: Wrapper }] = await Promise.all([loadEngineClass(), import('@prisma/migrate').then(cjsExports)]);
  const bound = bindMigrationAwareSqlAdapterFactory(adapter);
  const debug = process.env.L2SCOPE_DB_DEBUG ? (s: string) => process.stderr.write(`[schema-engine] ${s}\n`) : () => {};
  const raw = await EngineClass.new({ datamodels: files.map((f) => [f.path, f.content] as [string, string]) }, debug, bound);
  const wasm = new Wrapper({ engine: raw, errorRegistry: bound.errorRegistry });
  return {
    wasm,
    async diffScript(from, to, filters = NO_FILTER) {
      const { stdout } = await wasm.runCommand('diff', { from, to, script: true, exitCode: null, filters });
      const script = stdout ?? '';
      return isEmptyScript(script) ? '' : script;
    },
    stop: () => wasm.stop(),
  };
}

/** True for the engine's "nothing to do" script (`-- This is an empty migration.`) or blank. */
export function isEmptyScript(script: string): boolean {
  return script.replace(/^\s*--.*$/gm, '').trim() === '';
}

/** Schema container list as a diff target. */
export function datamodelTarget(files: SchemaContainer[]): DiffTarget {
  return { tag: 'schemaDatamodel', files };
}

/**
 * A driver adapter for schema-only work (diffing two Prisma schemas): no database behind it.
 * The SQLite engine never queries on such a diff; the PostgreSQL engine, on connecting, asks
 * once whether the `public` schema exists and for the server version: answered here with
 * `true` and PostgreSQL 15 (the version this project runs on; it does not change the SQL of
 * a schema-to-schema diff). Every other statement throws, so a diff that would need a real
 * database fails loudly instead of producing wrong SQL.
 */
export function offlineAdapter(provider: 'sqlite' | 'postgres'): SqlMigrationAwareDriverAdapterFactory {
  const fail = (what: string) => Promise.reject(new Error(`offline ${provider} adapter: no database for ${what}`));
  const connect = (): Promise<SqlDriverAdapter> =>
    Promise.resolve({
      provider,
      adapterName: '@l2scope/db-offline',
      queryRaw(query: SqlQuery): Promise<SqlResultSet> {
        if (provider === 'postgres' && /pg_namespace/.test(query.sql) && /version\(\)/.test(query.sql)) {
          return Promise.resolve({
            columnNames: ['exists', 'version', 'numeric_version'],
            columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
            rows: [[true, 'PostgreSQL 15.0 (l2scope offline adapter)', 150000]],
          });
        }
        return fail(query.sql);
      },
      executeRaw: (query: SqlQuery) => fail(query.sql),
      executeScript: () => fail('a script'),
      startTransaction: () => fail('a transaction'),
      dispose: () => Promise.resolve(),
    });
  return {
    provider,
    adapterName: '@l2scope/db-offline',
    connect,
    connectToShadowDb: connect,
  };
}
