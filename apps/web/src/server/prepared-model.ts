/**
 * The model the topology's first requests read, kept prepared in the server's memory from its start
 * (`PreparedModel.keep` of @l2scope/db: the projection read once, then the stored changes folded
 * every second), so `topology.snapshot` / `topology.vteps` answer from memory instead of reading the
 * projection per request (2.9 s from request to last byte for 1,000 hosts at load 8, docs/fleet-view.md).
 */
import { preparedModelOf } from '@l2scope/db';
import { getDb } from './db';

/** How often the prepared model is brought up to date (ms). */
export const PREPARED_MODEL_INTERVAL_MS = 1000;

/**
 * Start keeping the process's prepared model (once per process; later calls do nothing). A database
 * that cannot be opened yet is tried again every {@link PREPARED_MODEL_INTERVAL_MS}; the first
 * failed update is logged (a database not migrated yet fails every tick until it is).
 */
export function keepModelPrepared(): void {
  const holder = globalThis as typeof globalThis & { __l2scopeKeepModel?: boolean };
  if (holder.__l2scopeKeepModel) return;
  holder.__l2scopeKeepModel = true;
  let reported = false;
  const onError = (err: unknown) => {
    if (!reported) console.error(`prepared model: ${err instanceof Error ? err.message : String(err)}`);
    reported = true;
  };
  const start = () =>
    getDb().then(
      (db) => void preparedModelOf(db).keep(PREPARED_MODEL_INTERVAL_MS, onError),
      (err: unknown) => {
        onError(err);
        setTimeout(start, PREPARED_MODEL_INTERVAL_MS).unref();
      },
    );
  void start();
}
