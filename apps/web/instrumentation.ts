/**
 * Next's start-up hook, run once per server process before the first request: the topology's
 * model is kept prepared from the start (src/server/prepared-model.ts). Node only (the import
 * inside the runtime check stays out of an edge bundle).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { keepModelPrepared } = await import('./src/server/prepared-model');
    keepModelPrepared();
  }
}
