/**
 * The roles of l2scope, in order: `viewer` < `operator` < `admin` (docs/auth.md#roles). A role
 * includes every right of the roles below it.
 *
 * - viewer: reads the dashboard (topology, inspector, host and network pages, the live push).
 * - operator: also exports raw messages (`/api/export`) and, later, uses the toggles.
 * - admin: also manages users (the CLI today).
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/** One of {@link ROLES}. Stored as text in `User.role`. */
export type Role = (typeof ROLES)[number];

/** True for a string that names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The role named by `value`, or null when it names none (an unknown role grants nothing).
 * Trims and lower-cases first, so `" Operator"` is `operator`.
 */
export function parseRole(value: unknown): Role | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  return isRole(v) ? v : null;
}

/** True when `role` has at least the rights of `min` (`roleAtLeast('admin', 'operator')` is true). */
export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}
