/**
 * Types for the parts of Prisma's internal packages that @l2scope/db uses. @prisma/migrate 7.10.0
 * ships a package.json whose "types" points at a file that is not in the tarball
 * (dist/migrate/src/index.d.ts), so TypeScript cannot see its declarations; these describe the
 * runtime shapes of the exact pinned version (sources named per module). Keep in step with the
 * pinned version: a Prisma upgrade must re-check every line here (the tests exercise all of it).
 */

/** packages/migrate/src/SchemaEngineWasm.ts (re-exported by packages/migrate/src/index.ts). */
declare module '@prisma/migrate' {
  import type { ErrorRegistry } from '@prisma/driver-adapter-utils';
  import type { ApplyMigrationsInput, ApplyMigrationsOutput, DiffParams, DiffResult, SchemaEngine } from '@prisma/schema-engine-wasm';

  export class SchemaEngineWasm {
    /**
     * Private in Prisma's own typings: `SchemaEngineWasm.setup()` is the public entry, but it
     * loads the .wasm from `@prisma/internals/build/`, which exists only inside the bundled
     * `prisma` CLI. l2scope instantiates the engine itself and hands it to this constructor.
     */
    constructor(options: { engine: SchemaEngine; errorRegistry: ErrorRegistry; debug?: boolean });
    isRunning: boolean;
    /** The command behind `prisma migrate deploy`. */
    applyMigrations(input: ApplyMigrationsInput): Promise<ApplyMigrationsOutput>;
    /**
     * Private in Prisma's typings: runs one engine command and turns Wasm panics and engine
     * errors into Prisma's RustPanic / EngineError. Used for `diff`, whose public wrapper
     * (`migrateDiff`) prints the script to stdout instead of returning it.
     */
    runCommand(command: 'diff', input: DiffParams): Promise<DiffResult>;
    /** Frees the Wasm engine. */
    stop(): Promise<void>;
  }
}

/** packages/migrate/src/utils/listMigrations.ts */
declare module '@prisma/migrate/dist/utils/listMigrations.js' {
  import type { MigrationList } from '@prisma/schema-engine-wasm';

  /** Reads `<dir>/migration_lock.toml` and every `<dir>/<name>/migration.sql`, sorted by name. */
  export function listMigrations(migrationsDirectoryPath: string, shadowDbInitScript: string): Promise<MigrationList>;
}

/** packages/migrate/src/utils/createMigration.ts */
declare module '@prisma/migrate/dist/utils/createMigration.js' {
  /** mkdir `<baseDir>/<generatedMigrationName>`; throws if it exists. */
  export function createMigration(input: { baseDir: string; generatedMigrationName: string }): Promise<string>;
  /** Writes `<baseDir>/<migrationName>/migration.<extension>`. */
  export function writeMigrationScript(input: { baseDir: string; migrationName: string; extension: string; script: string }): Promise<void>;
  /** Writes `<baseDir>/<lockfile.path>` with `provider = "<connectorType>"`. */
  export function writeMigrationLockfile(input: { baseDir: string; connectorType: 'sqlite' | 'postgresql'; lockfile: { path: string } }): Promise<void>;
}
