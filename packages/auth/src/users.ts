/**
 * User management on the database, through Better Auth's own adapter and password hashing: what
 * `l2scope user add|list|passwd|role|del` and `npm start`'s first-start admin do
 * (docs/auth.md#cli). A user is named by their username or, for users without one, their e-mail.
 */
import { randomBytes } from 'node:crypto';
import type { L2scopeAuth } from './server';
import { type Role, parseRole } from './roles';

/** The e-mail domain of local accounts made without an e-mail (reserved: `.invalid` never resolves). */
export const LOCAL_EMAIL_DOMAIN = 'users.l2scope.invalid';

/** A user as the CLI lists them. */
export interface UserRow {
  id: string;
  /** Username (local accounts), or null. */
  username: string | null;
  email: string;
  name: string;
  /** The stored role; a string outside `ROLES` is shown as is (it grants nothing). */
  role: string;
  createdAt: Date;
  /** True when the user has a password (a local account). */
  hasPassword: boolean;
}

/** A user operation that cannot be done (unknown user, name taken, bad role or password). */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A random password: 18 characters of base64url (108 bits). */
export function randomPassword(): string {
  return randomBytes(14).toString('base64url').slice(0, 18);
}

type Ctx = Awaited<L2scopeAuth['betterAuth']['$context']>;
type StoredUser = NonNullable<Awaited<ReturnType<Ctx['internalAdapter']['findUserById']>>> & { username?: string | null; role?: string };

async function ctxOf(auth: L2scopeAuth): Promise<Ctx> {
  return auth.betterAuth.$context;
}

/** Usernames: 2 to 64 of letters, digits, `_`, `.`, `-` (stored lower-cased). */
function checkUsername(name: string): string {
  if (!/^[A-Za-z0-9_.-]{2,64}$/.test(name)) throw new UserError(`invalid user name ${JSON.stringify(name)}: 2 to 64 letters, digits, _ . -`);
  return name.toLowerCase();
}

function checkPassword(ctx: Ctx, password: string): void {
  const { minPasswordLength, maxPasswordLength } = ctx.password.config;
  if (password.length < minPasswordLength || password.length > maxPasswordLength) {
    throw new UserError(`the password must have ${minPasswordLength} to ${maxPasswordLength} characters`);
  }
}

async function findByName(ctx: Ctx, name: string): Promise<StoredUser | null> {
  const field = name.includes('@') ? 'email' : 'username';
  const value = name.toLowerCase();
  const found = await ctx.adapter.findOne<StoredUser>({ model: 'user', where: [{ field, value }] });
  return found ?? null;
}

async function mustFind(ctx: Ctx, name: string): Promise<StoredUser> {
  const user = await findByName(ctx, name);
  if (!user) throw new UserError(`no user ${JSON.stringify(name)}`);
  return user;
}

function mustRole(role: string): Role {
  const r = parseRole(role);
  if (!r) throw new UserError(`unknown role ${JSON.stringify(role)}: viewer, operator or admin`);
  return r;
}

/**
 * Create a local account. `name` is a username, or an e-mail address (then the user signs in
 * with it and has no username). Without `password` a random one is made ({@link randomPassword}).
 * @returns the user and the password set (to print once)
 * @throws UserError when the name is taken or invalid, the role unknown or the password too short/long
 */
export async function addUser(auth: L2scopeAuth, name: string, role: string, password?: string): Promise<{ user: UserRow; password: string }> {
  const ctx = await ctxOf(auth);
  const r = mustRole(role);
  const isEmail = name.includes('@');
  if (isEmail && !/^[^\s@]+@[^\s@]+$/.test(name)) throw new UserError(`invalid e-mail ${JSON.stringify(name)}`);
  const username = isEmail ? null : checkUsername(name);
  const email = isEmail ? name.toLowerCase() : `${username}@${LOCAL_EMAIL_DOMAIN}`;
  const pw = password ?? randomPassword();
  checkPassword(ctx, pw);
  if ((await findByName(ctx, name)) || (await ctx.internalAdapter.findUserByEmail(email))) throw new UserError(`user ${JSON.stringify(name)} exists`);
  const hash = await ctx.password.hash(pw);
  const user = (await ctx.internalAdapter.createUser(
    { email, name, role: r, ...(username ? { username, displayUsername: name } : {}) },
    { method: 'admin' },
  )) as StoredUser;
  await ctx.internalAdapter.linkAccount({ providerId: 'credential', accountId: user.id, userId: user.id, password: hash });
  return { user: toRow(user, true), password: pw };
}

function toRow(u: StoredUser, hasPassword: boolean): UserRow {
  return {
    id: u.id,
    username: u.username ?? null,
    email: u.email,
    name: u.name,
    role: u.role ?? 'viewer',
    createdAt: new Date(u.createdAt),
    hasPassword,
  };
}

/** Every user, oldest first. */
export async function listUsers(auth: L2scopeAuth): Promise<UserRow[]> {
  const ctx = await ctxOf(auth);
  const users = (await ctx.internalAdapter.listUsers(undefined, undefined, { field: 'createdAt', direction: 'asc' })) as StoredUser[];
  const rows: UserRow[] = [];
  for (const u of users) rows.push(toRow(u, (await ctx.internalAdapter.findCredentialAccount(u.id))?.password != null));
  return rows;
}

/** How many users there are (0 on a fresh database: `npm start` then makes the first admin). */
export async function countUsers(auth: L2scopeAuth): Promise<number> {
  return (await ctxOf(auth)).internalAdapter.countTotalUsers();
}

/**
 * Set the password of user `name` (Better Auth's hash) and end all their sessions. An OIDC-only
 * user gets a local password too. Without `password` a random one is made.
 * @returns the password set
 * @throws UserError for an unknown user or a password of the wrong length
 */
export async function setPassword(auth: L2scopeAuth, name: string, password?: string): Promise<string> {
  const ctx = await ctxOf(auth);
  const user = await mustFind(ctx, name);
  const pw = password ?? randomPassword();
  checkPassword(ctx, pw);
  const hash = await ctx.password.hash(pw);
  if (await ctx.internalAdapter.findCredentialAccount(user.id)) await ctx.internalAdapter.updatePassword(user.id, hash);
  else await ctx.internalAdapter.linkAccount({ providerId: 'credential', accountId: user.id, userId: user.id, password: hash });
  await ctx.internalAdapter.deleteUserSessions(user.id);
  return pw;
}

/**
 * Give user `name` the role `role`; their sessions carry it from their next request.
 * @throws UserError for an unknown user or role
 */
export async function setRole(auth: L2scopeAuth, name: string, role: string): Promise<UserRow> {
  const ctx = await ctxOf(auth);
  const r = mustRole(role);
  const user = await mustFind(ctx, name);
  const updated = (await ctx.internalAdapter.updateUser(user.id, { role: r })) as StoredUser;
  return toRow(updated, (await ctx.internalAdapter.findCredentialAccount(user.id))?.password != null);
}

/**
 * Delete user `name` with their sessions and accounts.
 * @throws UserError for an unknown user
 */
export async function deleteUser(auth: L2scopeAuth, name: string): Promise<void> {
  const ctx = await ctxOf(auth);
  const user = await mustFind(ctx, name);
  await ctx.internalAdapter.deleteUserSessions(user.id);
  await ctx.internalAdapter.deleteAccounts(user.id);
  await ctx.internalAdapter.deleteUser(user.id);
}

/**
 * On a database without users, create `admin` (role admin) with a random password.
 * @returns the password to print once, or null when there were users already
 */
export async function ensureFirstAdmin(auth: L2scopeAuth): Promise<string | null> {
  if ((await countUsers(auth)) > 0) return null;
  return (await addUser(auth, 'admin', 'admin')).password;
}

/** Longest life of a token made by {@link createToken}, days. */
export const TOKEN_MAX_DAYS = 365;

/**
 * A token for scripts (the CLI's `toggle`): a Better Auth session of user `name` that lasts
 * `days` days, sent as `Authorization: Bearer <token>` (Better Auth's `bearer` plugin reads it as
 * the session cookie). It carries the user's role; `l2scope user passwd` and `del` end it. A token
 * alone never applies a toggle: the step-up asks the password, as its session is older than 5
 * minutes (docs/auth.md#tokens).
 * @param days 1 to {@link TOKEN_MAX_DAYS}
 * @returns the token (to print once) and when it expires
 * @throws UserError for an unknown user or days out of range
 */
export async function createToken(auth: L2scopeAuth, name: string, days = 30): Promise<{ token: string; expiresAt: Date }> {
  if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS) throw new UserError(`days must be 1 to ${TOKEN_MAX_DAYS}`);
  const ctx = await ctxOf(auth);
  const user = await mustFind(ctx, name);
  const expiresAt = new Date(Date.now() + days * 86_400_000);
  const session = await ctx.internalAdapter.createSession(user.id, false, { expiresAt, userAgent: 'l2scope user token' }, true);
  return { token: session.token, expiresAt: new Date(session.expiresAt) };
}
