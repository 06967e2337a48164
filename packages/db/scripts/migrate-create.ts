/**
 * `npm run migrate:create -- --name <name>`: diffs the models as of the last migration (its
 * models.prisma.snapshot) against prisma/models.prisma and writes the new migration for BOTH
 * providers (prisma/sqlite/migrations/<ts>_<name>, prisma/postgresql/migrations/<ts>_<name>).
 * No database, no shadow database.
 *
 *   --name <name>   required: the migration's name (letters, digits, _)
 *   --allow-empty   write the migration even if the models did not change (hand-written SQL)
 *   --check         write nothing; exit 1 if the models changed since the last migration (CI)
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../src/config';
import { createMigration, planMigration } from '../src/migrations';

const { values } = parseArgs({
  options: {
    name: { type: 'string', short: 'n' },
    'allow-empty': { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});

try {
  if (values.check) {
    const { plans } = await planMigration();
    const changed = plans.filter((p) => p.script !== '');
    if (changed.length === 0) {
      console.log('prisma/models.prisma matches the last migration of both providers');
    } else {
      for (const p of changed) console.log(`-- ${p.provider}: pending changes\n${p.script}`);
      console.error('prisma/models.prisma changed since the last migration: run npm -w @l2scope/db run migrate:create -- --name <name>');
      process.exit(1);
    }
  } else {
    if (!values.name) {
      console.error('usage: npm -w @l2scope/db run migrate:create -- --name <name> [--allow-empty] | --check');
      process.exit(2);
    }
    const created = await createMigration(values.name, { allowEmpty: values['allow-empty'] });
    if (created.name === null) console.log('no change in prisma/models.prisma since the last migration: nothing written');
    else console.log(`created ${created.name}:\n${created.files.map((f) => `  ${relative(repoRoot(), f)}`).join('\n')}`);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
