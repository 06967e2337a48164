/**
 * @l2scope/auth: who may read l2scope (docs/auth.md). Better Auth on l2scope's database (tables
 * in prisma/models.prisma, queried through `authDatabase` of @l2scope/db), three roles
 * (`viewer` < `operator` < `admin`), and user management for the CLI.
 *
 * For any server that serves l2scope's data (the web app, the worker's socket.io):
 * `openAuth()` once per process, then `auth.sessionFromHeaders(req.headers)` on each request:
 * a {@link SessionUser} (with `role`) or null (answer 401).
 */
export { ROLES, type Role, isRole, parseRole, roleAtLeast } from './roles';
export { type AuthConfig, type OidcConfig, authConfigFromEnv, resolveSecret, secretFilePath } from './config';
export {
  ANONYMOUS_VIEWER,
  AUTH_BASE_PATH,
  OIDC_PROVIDER_ID,
  type BetterAuthInstance,
  type HeadersLike,
  type L2scopeAuth,
  type SessionUser,
  createAuth,
  toHeaders,
} from './server';
export {
  LOCAL_EMAIL_DOMAIN,
  type UserRow,
  UserError,
  TOKEN_MAX_DAYS,
  addUser,
  countUsers,
  createToken,
  deleteUser,
  ensureFirstAdmin,
  listUsers,
  randomPassword,
  setPassword,
  setRole,
} from './users';
export { connectAuth, openAuth } from './open';
