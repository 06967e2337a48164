/**
 * `l2scope user add|list|passwd|role|del|token`: local accounts and roles on l2scope's database
 * (`DATABASE_URL`, default the embedded SQLite file), through @l2scope/auth (Better Auth's own
 * password hashing). docs/auth.md#cli
 */
import { Command } from 'commander';
import type { L2scopeAuth } from '@l2scope/auth';
import { ROLES } from '@l2scope/auth/roles';

/** @l2scope/auth (Better Auth, the database client): loaded when a `user` command runs, so the other commands start without it (seconds). */
type AuthLib = typeof import('@l2scope/auth');

/** Read the password from stdin: its first line, without the line ending. Throws on an empty one. */
async function passwordFromStdin(UserError: AuthLib['UserError']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const pw = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!pw) throw new UserError('no password on stdin');
  return pw;
}

/** Run `fn` on the database, migrated first (so a fresh install can add users); a UserError prints and exits 1. */
async function withAuth(fn: (auth: L2scopeAuth, lib: AuthLib) => Promise<void>): Promise<void> {
  const lib = await import('@l2scope/auth');
  const { UserError } = lib;
  const { auth, close } = await lib.connectAuth({ migrate: true });
  try {
    await fn(auth, lib);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    console.error(`l2scope user: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

const roleHelp = `role: ${ROLES.join(' | ')}`;

/** The `user` command and its subcommands. */
export function userCommand(): Command {
  const user = new Command('user').description('manage the users who may sign in to the dashboard (local accounts and roles)');

  user
    .command('add')
    .description('create a local account; prints a random password when none is given')
    .argument('<name>', 'user name (letters, digits, _ . -) or an e-mail address')
    .requiredOption('--role <role>', roleHelp)
    .option('--password-stdin', 'read the password from the first line of stdin', false)
    .action(async (name: string, opts: { role: string; passwordStdin: boolean }) => {
      await withAuth(async (auth, lib) => {
        const given = opts.passwordStdin ? await passwordFromStdin(lib.UserError) : undefined;
        const { user: row, password } = await lib.addUser(auth, name, opts.role, given);
        console.log(`added user ${row.username ?? row.email} (${row.role})`);
        if (!given) console.log(`password: ${password}`);
      });
    });

  user
    .command('list')
    .description('list the users: name, role, e-mail, whether they have a password, created')
    .option('--json', 'one JSON array', false)
    .action(async (opts: { json: boolean }) => {
      await withAuth(async (auth, lib) => {
        const rows = await lib.listUsers(auth);
        if (opts.json) {
          console.log(JSON.stringify(rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }))));
          return;
        }
        const table = [
          ['NAME', 'ROLE', 'EMAIL', 'PASSWORD', 'CREATED'],
          ...rows.map((r) => [r.username ?? r.email, r.role, r.email, r.hasPassword ? 'yes' : 'no', r.createdAt.toISOString()]),
        ];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table)
          console.log(
            row
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          );
      });
    });

  user
    .command('passwd')
    .description("set a user's password (random and printed when none is given) and end their sessions")
    .argument('<name>', 'user name or e-mail')
    .option('--password-stdin', 'read the password from the first line of stdin', false)
    .action(async (name: string, opts: { passwordStdin: boolean }) => {
      await withAuth(async (auth, lib) => {
        const given = opts.passwordStdin ? await passwordFromStdin(lib.UserError) : undefined;
        const password = await lib.setPassword(auth, name, given);
        console.log(`password of ${name} changed; their sessions ended`);
        if (!given) console.log(`password: ${password}`);
      });
    });

  user
    .command('role')
    .description("change a user's role")
    .argument('<name>', 'user name or e-mail')
    .argument('<role>', roleHelp)
    .action(async (name: string, role: string) => {
      await withAuth(async (auth, lib) => {
        const row = await lib.setRole(auth, name, role);
        console.log(`${name} is now ${row.role}`);
      });
    });

  user
    .command('del')
    .description('delete a user with their sessions')
    .argument('<name>', 'user name or e-mail')
    .action(async (name: string) => {
      await withAuth(async (auth, lib) => {
        await lib.deleteUser(auth, name);
        console.log(`deleted user ${name}`);
      });
    });

  user
    .command('token')
    .description("make a token for scripts (l2scope toggle): a session of the user, sent as 'Authorization: Bearer <token>'; printed once")
    .argument('<name>', 'user name or e-mail')
    .option('--days <n>', 'how long it lasts (1 to 365)', '30')
    .action(async (name: string, opts: { days: string }) => {
      await withAuth(async (auth, lib) => {
        const { token, expiresAt } = await lib.createToken(auth, name, Number(opts.days));
        console.error(`token of ${name}, valid until ${expiresAt.toISOString()} (ends with l2scope user passwd or del):`);
        console.log(token);
      });
    });

  return user;
}
