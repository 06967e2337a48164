import { describe, expect, it } from 'vitest';
import {
  ClusterModel,
  type DecodedMessage,
  L2POP_FANOUT_EXCHANGE,
  type ModelSnapshot,
  NETWORK_DELETE_TOPIC,
  applyModelChanges,
  decodeMessage,
  fanoutExchange,
  messageRefs,
} from '../src';

const FLOOD: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
const PORT1: [string, string] = ['fa:16:3e:00:00:01', '192.168.0.1'];
const PORT2: [string, string] = ['fa:16:3e:00:00:02', '192.168.0.2'];
let seq = 0;

const body = (method: string, args: object) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method, args }) });

function decoded(raw: { exchange: string; routingKey: string; body: string }): DecodedMessage {
  const r = decodeMessage(raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

function cast(method: 'add_fdb_entries' | 'remove_fdb_entries', network: string, vni: number, ports: Record<string, [string, string][]>): DecodedMessage {
  const b = body(method, { fdb_entries: { [network]: { segment_id: vni, network_type: 'vxlan', ports } } });
  return decoded({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body: b });
}

function networkDelete(network: unknown): ReturnType<typeof decodeMessage> {
  return decodeMessage({ exchange: fanoutExchange(NETWORK_DELETE_TOPIC).name, routingKey: '', body: body('network_delete', { network_id: network }) });
}

function report(host: string, ip: string, agentType: 'Linux bridge agent' | 'Open vSwitch agent'): DecodedMessage {
  const b = body('report_state', {
    agent_state: {
      agent_state: {
        binary: agentType === 'Linux bridge agent' ? 'neutron-linuxbridge-agent' : 'neutron-openvswitch-agent',
        host,
        agent_type: agentType,
        configurations: { tunneling_ip: ip, l2_population: true, tunnel_types: ['vxlan'], devices: 1 },
      },
    },
  });
  return decoded({ exchange: 'neutron', routingKey: 'q-reports-plugin', body: b });
}

/** h1 (Linux bridge, 10.0.0.1) and h2 (OVS, 10.0.0.2) each with a port on `network`. */
function twoHosts(network: string, vni: number): { m: ClusterModel; before: ModelSnapshot } {
  const m = new ClusterModel();
  m.apply(report('h1', '10.0.0.1', 'Linux bridge agent'), 1, ++seq);
  m.apply(report('h2', '10.0.0.2', 'Open vSwitch agent'), 1, ++seq);
  m.apply(cast('add_fdb_entries', network, vni, { '10.0.0.1': [FLOOD, PORT1] }), 2, ++seq);
  m.apply(cast('add_fdb_entries', network, vni, { '10.0.0.2': [FLOOD, PORT2] }), 3, ++seq);
  return { m, before: m.snapshot() };
}

describe('network_delete decoding', () => {
  it('decodes network_id from the network-delete fanout, indexed by network', () => {
    const r = networkDelete('8a7b-net');
    expect(r.ok && r.message).toMatchObject({
      kind: 'network_delete',
      method: 'network_delete',
      network: '8a7b-net',
      target: 'fanout',
      topic: NETWORK_DELETE_TOPIC,
    });
    expect(messageRefs(r, () => 650)).toMatchObject({ networks: ['8a7b-net'], vnis: [650] });
  });

  it('refuses a missing, non-string, empty or oversized network_id (hostile input)', () => {
    for (const bad of [undefined, 42, '', 'x'.repeat(256)]) {
      const r = networkDelete(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r).toMatchObject({ method: 'network_delete', error: { reason: 'invalid_args' } });
    }
  });
});

describe('network lifecycle in the model', () => {
  it('network_delete takes the network, its entries and every membership out; history is in the changes', () => {
    const { m, before } = twoHosts('net-a', 650);
    const r = networkDelete('net-a');
    if (!r.ok) throw new Error('decode');
    const changes = m.apply(r.message, 10, ++seq);
    expect(changes).toContainEqual({ type: 'network_removed', id: 'net-a', at: 10 });
    expect(changes).toContainEqual({ type: 'vtep_removed', network: 'net-a', vtep: '10.0.0.1' });
    expect(changes).toContainEqual({ type: 'vtep_removed', network: 'net-a', vtep: '10.0.0.2' });
    expect(m.network('net-a')).toBeUndefined();
    expect(m.networkViews()).toEqual([]);
    expect(m.memberships('h1')).toEqual([]);
    expect(m.memberships('h2')).toEqual([]);
    expect(m.toldFdb('h1')).toEqual([]);
    // the browser's fold of those changes gives the model's snapshot
    expect(applyModelChanges(before, changes, seq)).toEqual(m.snapshot());
    // a second delete (or one of a network never seen) changes nothing
    expect(m.apply(r.message, 11, ++seq)).toEqual([]);
  });

  it('a new network reusing the VNI is another record, listed once', () => {
    const { m } = twoHosts('net-a', 650);
    const r = networkDelete('net-a');
    if (!r.ok) throw new Error('decode');
    m.apply(r.message, 10, ++seq);
    m.apply(cast('add_fdb_entries', 'net-b', 650, { '10.0.0.1': [FLOOD, PORT1] }), 11, ++seq);
    expect(m.networkViews().map((n) => [n.id, n.vni])).toEqual([['net-b', 650]]);
    expect(m.memberships('h1')).toEqual(['net-b']);
  });

  it('an OVS host leaves a network with its own last port; a Linux bridge host stays until network_delete', () => {
    const { m } = twoHosts('net-a', 650);
    const ovs = m.apply(cast('remove_fdb_entries', 'net-a', 650, { '10.0.0.2': [FLOOD, PORT2] }), 5, ++seq);
    expect(m.memberships('h2')).toEqual([]);
    expect(ovs.find((c) => c.type === 'host' && c.host.id === 'h2')).toBeDefined();
    m.apply(cast('remove_fdb_entries', 'net-a', 650, { '10.0.0.1': [FLOOD, PORT1] }), 6, ++seq);
    expect(m.memberships('h1')).toEqual(['net-a']);
    // one of two ports leaving keeps the OVS host in
    m.apply(cast('add_fdb_entries', 'net-a', 650, { '10.0.0.2': [FLOOD, PORT2, PORT1] }), 7, ++seq);
    m.apply(cast('remove_fdb_entries', 'net-a', 650, { '10.0.0.2': [PORT1] }), 8, ++seq);
    expect(m.memberships('h2')).toEqual(['net-a']);
  });

  it('survives a snapshot round trip without the deleted network', () => {
    const { m } = twoHosts('net-a', 650);
    const r = networkDelete('net-a');
    if (!r.ok) throw new Error('decode');
    m.apply(r.message, 10, ++seq);
    expect(ClusterModel.fromSnapshot(JSON.parse(JSON.stringify(m.snapshot()))).snapshot()).toEqual(m.snapshot());
  });
});
