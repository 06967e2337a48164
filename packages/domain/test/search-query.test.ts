import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from '../src';

describe('parseSearchQuery', () => {
  it('reads MACs in any common spelling, whole or as a prefix', () => {
    expect(parseSearchQuery(' FA:16:3E:00:00:77 ').mac).toBe('fa:16:3e:00:00:77');
    expect(parseSearchQuery('fa-16-3e-00-00-77').mac).toBe('fa:16:3e:00:00:77');
    expect(parseSearchQuery('fa16.3e00.0077').mac).toBe('fa:16:3e:00:00:77');
    expect(parseSearchQuery('fa163e000077').mac).toBe('fa:16:3e:00:00:77');
    expect(parseSearchQuery('fa:16:3e').mac).toBe('fa:16:3e');
    expect(parseSearchQuery('fa:16:3').mac).toBe('fa:16:3');
    expect(parseSearchQuery('compute1').mac).toBeNull();
    expect(parseSearchQuery('649').mac).toBeNull();
  });

  it('reads IPv4 addresses and prefixes, and VNIs', () => {
    expect(parseSearchQuery('10.0.20.12').ip).toBe('10.0.20.12');
    expect(parseSearchQuery('10.0.20.').ip).toBe('10.0.20.');
    expect(parseSearchQuery('10.0.300.1').ip).toBeNull();
    expect(parseSearchQuery('649').vni).toBe(649);
    expect(parseSearchQuery('0').vni).toBeNull();
    expect(parseSearchQuery('16777216').vni).toBeNull();
    expect(parseSearchQuery('x'.repeat(500)).text).toHaveLength(100);
  });
});
