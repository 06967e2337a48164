/**
 * Neutron's own database on the machine's MariaDB (docs/lab.md#database): created by `up`, schema by
 * `neutron-db-manage upgrade head`, dropped by `down`.
 */
import { run, waitFor } from './exec';
import { DB, paths } from './paths';
import { tcpReachable } from './broker';

/** SQL run as MariaDB root over loopback TCP (root has no password on this machine kind). */
export async function mariadb(sql: string): Promise<string> {
  const r = await run('mariadb', ['-h', DB.host, '-P', String(DB.port), '-u', 'root', '--batch', '--skip-column-names', '-e', sql]);
  return r.stdout;
}

/**
 * Make sure MariaDB answers on 127.0.0.1:3306; if not, start it the machine's way
 * (`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`). It is a machine
 * service, so the lab never stops it.
 */
export async function ensureMariadb(log: (s: string) => void): Promise<void> {
  if (await tcpReachable(DB.host, DB.port)) return;
  log("MariaDB is not answering on 127.0.0.1:3306: starting the machine's mariadbd");
  await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd', '--', '--user=mysql', '--bind-address=127.0.0.1']);
  await waitFor('MariaDB on 127.0.0.1:3306', async () => ((await tcpReachable(DB.host, DB.port)) ? true : undefined), 60_000, 500);
}

/**
 * Create the lab's database and user. With `fresh`, drop any leftover database first (a lab
 * starting from nothing must not inherit agents, ports or networks of a crashed run).
 */
export async function createDatabase(fresh: boolean): Promise<void> {
  const u = `'${DB.user}'@'localhost', '${DB.user}'@'127.0.0.1'`;
  await mariadb(
    [
      fresh ? `DROP DATABASE IF EXISTS ${DB.name}` : 'SELECT 1',
      `CREATE DATABASE IF NOT EXISTS ${DB.name} CHARACTER SET utf8mb4`,
      `CREATE USER IF NOT EXISTS '${DB.user}'@'localhost' IDENTIFIED BY '${DB.password}'`,
      `CREATE USER IF NOT EXISTS '${DB.user}'@'127.0.0.1' IDENTIFIED BY '${DB.password}'`,
      `GRANT ALL PRIVILEGES ON ${DB.name}.* TO ${u}`,
      'FLUSH PRIVILEGES',
    ].join('; '),
  );
}

/** `neutron-db-manage ... upgrade head` (3-5 s on this machine kind). */
export async function migrateDatabase(): Promise<void> {
  await run('neutron-db-manage', ['--config-file', paths.serverConf, '--config-file', paths.ml2Conf, 'upgrade', 'head'], { timeout: 600_000 });
}

/** Drop the lab's database and user (idempotent). */
export async function dropDatabase(): Promise<void> {
  if (!(await tcpReachable(DB.host, DB.port))) return;
  await mariadb(`DROP DATABASE IF EXISTS ${DB.name}; DROP USER IF EXISTS '${DB.user}'@'localhost'; DROP USER IF EXISTS '${DB.user}'@'127.0.0.1'`);
}
