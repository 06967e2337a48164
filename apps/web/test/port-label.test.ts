/** How the dashboard words the lab's ports as Neutron's API names them (fixtures/neutron-api). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enrich, parseNetworksPage, parsePortsPage } from '@l2scope/domain';
import { macsIn, ownerLabel, portLabel, portTitle } from '../src/neutron/port-label';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/neutron-api');
const json = (f: string): unknown => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
const names = enrich(
  { seq: 0, hosts: [], networks: [], vteps: [] },
  {
    fetchedAt: 0,
    ports: parsePortsPage(json('ports.json')).items,
    networks: parseNetworksPage(json('networks.json')).items,
    agents: [],
    projects: {},
    skipped: 0,
  },
);
const vm = names.ports.find((p) => p.mac === 'fa:16:3e:0b:8a:d5')!;

describe('port labels', () => {
  it('labels a port by its name, else its owner and device, and lists every fact in the tooltip', () => {
    expect(portLabel(vm)).toBe('vm-ovs1-1');
    expect(portLabel({ ...vm, name: '' })).toBe('instance 3bb84282');
    expect(portLabel({ ...vm, name: '', deviceId: '' })).toBe('port 3755e6a1');
    expect(portTitle(vm).split('\n')).toEqual([
      'port 3755e6a1-cac5-42b5-a2a6-ed7862f715ca (vm-ovs1-1), ACTIVE',
      'instance 3bb84282-a8dd-4557-a8ff-73a7818e0453 (compute:nova)',
      'network l2lab-selfservice e4a56552-cd9e-4811-8d60-567a343a2550',
      'project fake_project_id',
      'host ovs1, 172.16.1.21',
    ]);
    expect(['network:dhcp', 'network:router_interface', '', 'compute:az1'].map(ownerLabel)).toEqual(['DHCP', 'router', 'no owner', 'instance']);
  });

  it('finds the distinct MACs of a message body, lower-cased', () => {
    const body = JSON.stringify({
      ports: {
        '10.0.20.21': [
          ['00:00:00:00:00:00', '0.0.0.0'],
          ['FA:16:3E:0B:8A:D5', '172.16.1.21'],
        ],
      },
      again: 'fa:16:3e:0b:8a:d5',
    });
    expect(macsIn(body)).toEqual(['00:00:00:00:00:00', 'fa:16:3e:0b:8a:d5']);
  });
});
