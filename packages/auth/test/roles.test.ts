/** The role order: viewer < operator < admin, and role parsing. */
import { describe, expect, it } from 'vitest';
import { ROLES, parseRole, roleAtLeast } from '../src/roles';

describe('roles', () => {
  it('orders viewer < operator < admin', () => {
    expect(ROLES).toEqual(['viewer', 'operator', 'admin']);
    const table = ROLES.map((role) => ROLES.map((min) => roleAtLeast(role, min)));
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });

  it('parses role names, and nothing else', () => {
    expect(parseRole(' Operator')).toBe('operator');
    expect(parseRole('admin')).toBe('admin');
    for (const bad of ['root', '', 'user', null, 3, undefined]) expect(parseRole(bad)).toBeNull();
  });
});
