/**
 * The Neutron API's names and checks on the lab's real responses (fixtures/neutron-api: four VM
 * ports on controller, compute1, compute2 and ovs1, network l2lab-selfservice, VNI 649). The model
 * side is what l2pop casts for those ports (each MAC on its host's VTEP), built from the same
 * responses, then broken one way at a time.
 */
import { describe, expect, it } from 'vitest';
import {
  type HostView,
  type ModelSnapshot,
  type NeutronApiSnapshot,
  enrich,
  namesIndex,
  neutronApiFindings,
  neutronTime,
  nextMarker,
  parseAgentsPage,
  parseNetworksPage,
  parsePortsPage,
} from '../../src';
import { readFixture } from '../fixtures';

const json = (f: string): unknown => JSON.parse(readFixture('neutron-api', f));

function apiSnapshot(fetchedAt: number): NeutronApiSnapshot {
  const ports = parsePortsPage(json('ports.json'));
  const networks = parseNetworksPage(json('networks.json'));
  const agents = parseAgentsPage(json('agents.json'));
  return {
    fetchedAt,
    ports: ports.items,
    networks: networks.items,
    agents: agents.items,
    projects: {},
    skipped: ports.skipped + networks.skipped + agents.skipped,
  };
}

/** The model a healthy lab gives: each ACTIVE port's MAC announced on its host's VTEP, each agent reporting at `reportAt`. */
function healthyModel(api: NeutronApiSnapshot, reportAt: number): ModelSnapshot {
  const vtepOf = new Map(api.agents.map((a) => [a.host, a.tunnelingIp!]));
  const net = api.networks[0]!;
  const hosts: HostView[] = api.agents.map((a) => ({
    id: a.host,
    name: a.host,
    vtep: a.tunnelingIp,
    agentType: a.agentType,
    binary: a.binary,
    l2population: a.l2population,
    arpResponder: null,
    distributedRouting: false,
    tunnelTypes: ['vxlan'],
    devices: 1,
    startedAt: reportAt,
    lastReportAt: reportAt,
    networks: {},
  }));
  return {
    seq: 1,
    hosts,
    networks: [{ id: net.id, vni: 649, networkType: 'vxlan', firstSeenAt: reportAt }],
    vteps: api.ports.map((p) => ({
      network: p.networkId,
      vtep: vtepOf.get(p.host!)!,
      flood: true,
      macs: [p.mac],
      neigh: Object.fromEntries(p.ips.map((ip) => [ip, p.mac])),
      updatedAt: reportAt,
    })),
  };
}

describe('parsing the lab API', () => {
  it('reads every port, network and agent of the lab with the fields l2scope keeps', () => {
    const api = apiSnapshot(0);
    expect(api.skipped).toBe(0);
    expect(api.ports).toHaveLength(4);
    expect(api.networks).toEqual([
      { id: 'e4a56552-cd9e-4811-8d60-567a343a2550', name: 'l2lab-selfservice', projectId: 'fake_project_id', networkType: 'vxlan', segmentationId: 649 },
    ]);
    const ovs = api.ports.find((p) => p.host === 'ovs1')!;
    expect(ovs).toMatchObject({
      id: '3755e6a1-cac5-42b5-a2a6-ed7862f715ca',
      name: 'vm-ovs1-1',
      mac: 'fa:16:3e:0b:8a:d5',
      ips: ['172.16.1.21'],
      deviceId: '3bb84282-a8dd-4557-a8ff-73a7818e0453',
      deviceOwner: 'compute:nova',
      status: 'ACTIVE',
      vifType: 'ovs',
      updatedAt: Date.parse('2026-12-05T21:32:46Z'),
    });
    expect(api.agents.map((a) => [a.host, a.agentType, a.alive, a.l2population, a.tunnelingIp])).toEqual([
      ['ovs1', 'Open vSwitch agent', true, true, '10.0.20.21'],
      ['controller', 'Linux bridge agent', true, true, '10.0.20.11'],
      ['compute2', 'Linux bridge agent', true, true, '10.0.20.13'],
      ['compute1', 'Linux bridge agent', true, true, '10.0.20.12'],
    ]);
  });

  it('takes only the marker of the next page from its link, and none on the last page', () => {
    expect(nextMarker(json('ports-limit2.json'), 'ports')).toBe('70c0ce31-d3e8-4a64-8fe1-2cc06ef861af');
    expect(nextMarker(json('ports.json'), 'ports')).toBeNull();
  });

  it('skips and counts malformed entries instead of dropping the page', () => {
    const body = json('ports.json') as { ports: unknown[] };
    const bad = { ports: [...body.ports, { id: 'x', mac_address: 'not a mac', network_id: 'n' }, 42, { id: 'y'.repeat(5000) }] };
    const r = parsePortsPage(bad);
    expect(r.items).toHaveLength(4);
    expect(r.skipped).toBe(3);
    expect(parsePortsPage({ nope: [] })).toEqual({ items: [], skipped: 1 });
  });

  it("reads both of Neutron's timestamp forms as UTC", () => {
    expect(neutronTime('2026-12-05 21:32:42')).toBe(Date.parse('2026-12-05T21:32:42Z'));
    expect(neutronTime('2026-12-05T21:32:46Z')).toBe(Date.parse('2026-12-05T21:32:46Z'));
    expect(neutronTime('garbage')).toBeNull();
  });
});

describe('enrich', () => {
  it('names every MAC with its port, instance, owner, network and project, and each host with Neutron alive', () => {
    const api = apiSnapshot(Date.parse('2026-12-05T21:35:00Z'));
    const names = enrich(healthyModel(api, api.fetchedAt), { ...api, projects: { fake_project_id: 'lab' } });
    const ix = namesIndex(names);
    const p = ix.port('e4a56552-cd9e-4811-8d60-567a343a2550', 'FA:16:3E:0B:8A:D5')!;
    expect(p).toMatchObject({
      portId: '3755e6a1-cac5-42b5-a2a6-ed7862f715ca',
      deviceId: '3bb84282-a8dd-4557-a8ff-73a7818e0453',
      deviceOwner: 'compute:nova',
      networkName: 'l2lab-selfservice',
      projectName: 'lab',
      host: 'ovs1',
      announced: true,
    });
    expect(names.ports.every((x) => x.announced)).toBe(true);
    expect(ix.network('e4a56552-cd9e-4811-8d60-567a343a2550')?.name).toBe('l2lab-selfservice');
    expect(names.agents.map((a) => `${a.host}:${a.alive}`)).toEqual(['compute1:true', 'compute2:true', 'controller:true', 'ovs1:true']);
  });
});

describe('neutronApiFindings', () => {
  const fetchedAt = Date.parse('2026-12-05T21:35:00Z');
  const watchingSince = Date.parse('2026-12-05T21:30:00Z');

  it('is quiet on a healthy lab', () => {
    const api = apiSnapshot(fetchedAt);
    expect(neutronApiFindings(healthyModel(api, fetchedAt - 10_000), api, { watchingSince })).toEqual([]);
  });

  it('finds the ports l2pop never announced (no l2population mechanism driver: no casts at all)', () => {
    const api = apiSnapshot(fetchedAt);
    const model = { ...healthyModel(api, fetchedAt - 10_000), vteps: [] };
    const f = neutronApiFindings(model, api, { watchingSince });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      kind: 'port_without_l2pop',
      network: 'e4a56552-cd9e-4811-8d60-567a343a2550',
      vni: 649,
      hosts: ['compute1', 'compute2', 'controller', 'ovs1'],
    });
    expect(f[0]!.detail).toContain('mechanism_drivers lists l2population');
    expect(f[0]!.evidence).toHaveLength(4);
    expect(f[0]!.evidence[0]!.text).toMatch(/^port \S+ mac fa:16:3e:\S+ 172\.16\.1\.\d+ ACTIVE since 2026-12-05T21:32:4\d\.000Z on /);
  });

  it('does not judge ports that went ACTIVE before the tap watched, or within the cast grace', () => {
    const api = apiSnapshot(fetchedAt);
    const model = { ...healthyModel(api, fetchedAt - 10_000), vteps: [] };
    expect(neutronApiFindings(model, api, { watchingSince: Date.parse('2026-12-05T21:33:00Z') })).toEqual([]);
    expect(neutronApiFindings(model, api, { watchingSince: null })).toEqual([]);
    const early = { ...api, fetchedAt: Date.parse('2026-12-05T21:32:50Z') };
    expect(neutronApiFindings(model, early, { watchingSince })).toEqual([]);
  });

  it('does not expect l2pop for a host whose agent runs without l2_population or is dead', () => {
    const api = apiSnapshot(fetchedAt);
    const model = { ...healthyModel(api, fetchedAt - 10_000), vteps: healthyModel(api, 0).vteps.filter((v) => v.vtep !== '10.0.20.21') };
    expect(neutronApiFindings(model, api, { watchingSince }).map((f) => f.hosts)).toEqual([['ovs1']]);
    const off = { ...api, agents: api.agents.map((a) => (a.host === 'ovs1' ? { ...a, l2population: false } : a)) };
    expect(neutronApiFindings(model, off, { watchingSince })).toEqual([]);
    const dead = { ...api, agents: api.agents.map((a) => (a.host === 'ovs1' ? { ...a, alive: false } : a)) };
    expect(neutronApiFindings(model, dead, { watchingSince })).toEqual([]);
  });

  it('finds an agent Neutron counts alive that the tap has not heard within agent_down_time', () => {
    const api = apiSnapshot(fetchedAt);
    const base = healthyModel(api, fetchedAt - 10_000);
    const model = { ...base, hosts: base.hosts.map((h) => (h.name === 'compute2' ? { ...h, lastReportAt: fetchedAt - 75_001 } : h)) };
    const f = neutronApiFindings(model, api, { watchingSince });
    expect(f.map((x) => [x.kind, x.network, x.hosts])).toEqual([['agent_silent_on_tap', 'agent:compute2', ['compute2']]]);
    expect(f[0]!.evidence[0]!.text).toContain('alive=true heartbeat_timestamp=2026-12-05T21:32:40.000Z');
    // a host the tap never heard of at all
    const unknown = { ...base, hosts: base.hosts.filter((h) => h.name !== 'controller') };
    expect(neutronApiFindings(unknown, api, { watchingSince }).map((x) => x.network)).toEqual(['agent:controller']);
    // not before the tap has watched for agent_down_time
    expect(neutronApiFindings(unknown, api, { watchingSince: fetchedAt - 60_000 })).toEqual([]);
  });
});
