/**
 * `npm run generate`: generates BOTH Prisma clients (src/generated/sqlite, src/generated/postgresql)
 * from prisma/sqlite and prisma/postgresql, offline.
 *
 * The Prisma CLI aborts at start-up when it cannot download its native schema engine, which
 * `generate` does not use: PRISMA_SCHEMA_ENGINE_BINARY=/bin/false gets it past that check.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDERS, schemaDir } from '../src/config';
import { ensureModelsLink } from '../src/schema';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');

for (const provider of PROVIDERS) {
  const link = ensureModelsLink(provider);
  if (link !== 'ok') console.warn(`prisma/${provider}/models.prisma was missing or stale: ${link}`);
  const res = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaDir(provider)], {
    cwd: pkgDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || '/bin/false',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (res.status !== 0) {
    console.error(`prisma generate failed for ${provider} (exit ${res.status ?? res.signal})`);
    process.exit(res.status || 1);
  }
}
