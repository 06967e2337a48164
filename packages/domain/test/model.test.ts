import { describe, expect, it } from 'vitest';
import { ClusterModel, type DecodedMessage, decodeMessage, L2POP_FANOUT_EXCHANGE } from '../src';
import { loadCapture, modelAt } from './fixtures';

const NET = 'net-a';
let seq = 0;

function cast(method: 'add_fdb_entries' | 'remove_fdb_entries', ports: Record<string, [string, string][]>, host?: string): DecodedMessage {
  const body = JSON.stringify({
    'oslo.version': '2.0',
    'oslo.message': JSON.stringify({ method, args: { fdb_entries: { [NET]: { segment_id: 100, network_type: 'vxlan', ports } } } }),
  });
  const r = decodeMessage(
    host
      ? { exchange: 'neutron', routingKey: `q-agent-notifier-l2population-update.${host}`, body }
      : { exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body },
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

function report(host: string, ip: string, l2pop = true, start = false): DecodedMessage {
  const body = JSON.stringify({
    'oslo.version': '2.0',
    'oslo.message': JSON.stringify({
      method: 'report_state',
      args: {
        agent_state: {
          agent_state: {
            binary: 'neutron-linuxbridge-agent',
            host,
            agent_type: 'Linux bridge agent',
            start_flag: start,
            configurations: { tunneling_ip: ip, l2_population: l2pop, tunnel_types: ['vxlan'], devices: 1 },
          },
        },
      },
    }),
  });
  const r = decodeMessage({ exchange: 'neutron', routingKey: 'q-reports-plugin', body });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

function chgIp(vtep: string, before: [string, string][], after: [string, string][]): DecodedMessage {
  const body = JSON.stringify({
    'oslo.version': '2.0',
    'oslo.message': JSON.stringify({ method: 'update_fdb_entries', args: { fdb_entries: { chg_ip: { [NET]: { [vtep]: { before, after } } } } } }),
  });
  const r = decodeMessage({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

const FLOOD: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

describe('ClusterModel', () => {
  it('expires hosts silent since before the cutoff unless their VTEP still carries entries', () => {
    const m = new ClusterModel();
    m.apply(report('spoofed', '10.0.9.9'), 1000, ++seq);
    m.apply(report('told', '10.0.0.2'), 1000, ++seq);
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD] }), 1000, ++seq);
    m.apply(report('alive', '10.0.0.3'), 5000, ++seq);
    expect(m.expireHosts(2000)).toEqual(['spoofed']);
    expect(m.hostIds().sort()).toEqual(['alive', 'told']);
    expect(m.hostOfVtep('10.0.9.9')).toBeUndefined();
    expect(m.snapshot().hosts.map((h) => h.id)).not.toContain('spoofed');
    // it comes back when it reports again
    m.apply(report('spoofed', '10.0.9.9'), 6000, ++seq);
    expect(m.hostOfVtep('10.0.9.9')).toBe('spoofed');
  });

  it('shows a VTEP seen only in casts under its IP until a report_state names it', () => {
    const m = new ClusterModel();
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD, ['fa:16:3e:00:00:02', '192.168.0.2']] }), 1000, ++seq);
    expect(m.host('vtep:10.0.0.2')).toMatchObject({ name: null, vtep: '10.0.0.2' });
    const changes = m.apply(report('compute2', '10.0.0.2'), 2000, ++seq);
    expect(changes).toContainEqual({ type: 'host_removed', id: 'vtep:10.0.0.2' });
    expect(m.host('vtep:10.0.0.2')).toBeUndefined();
    expect(m.host('compute2')).toMatchObject({ vtep: '10.0.0.2', l2population: true });
    // what it joined while anonymous is kept
    expect(m.memberships('compute2')).toEqual([NET]);
  });

  it('is idempotent: the duplicated cast (docs/lab.md#gotcha-14) changes nothing', () => {
    const m = new ClusterModel();
    const msg = cast('add_fdb_entries', { '10.0.0.2': [FLOOD, ['fa:16:3e:00:00:02', '192.168.0.2']] });
    expect(m.apply(msg, 1000, ++seq).length).toBeGreaterThan(0);
    expect(m.apply(msg, 1200, ++seq)).toEqual([]);
  });

  it('gives each host the other VTEPs entries, own VTEP skipped, flood list included', () => {
    const m = new ClusterModel();
    m.apply(report('h1', '10.0.0.1'), 0, ++seq);
    m.apply(report('h2', '10.0.0.2'), 0, ++seq);
    m.apply(cast('add_fdb_entries', { '10.0.0.1': [FLOOD, ['fa:16:3e:00:00:01', '192.168.0.1']] }), 1, ++seq);
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD, ['fa:16:3e:00:00:02', '192.168.0.2']] }), 2, ++seq);
    expect(m.toldFdb('h1')).toEqual([
      {
        network: NET,
        vni: 100,
        applied: true,
        fdb: [
          { mac: '00:00:00:00:00:00', vtep: '10.0.0.2', flood: true },
          { mac: 'fa:16:3e:00:00:02', vtep: '10.0.0.2', flood: false },
        ],
        neigh: [{ ip: '192.168.0.2', mac: 'fa:16:3e:00:00:02' }],
        floodList: ['10.0.0.2'],
      },
    ]);
  });

  it('applies chg_ip to neighbour rows only, "after" then "before", like the Linux bridge agent', () => {
    const m = new ClusterModel();
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD, ['fa:16:3e:00:00:02', '192.168.0.2']] }), 1, ++seq);
    m.apply(chgIp('10.0.0.2', [['fa:16:3e:00:00:02', '192.168.0.2']], [['fa:16:3e:00:00:02', '192.168.0.22']]), 2, ++seq);
    expect(m.vtepEntries(NET, '10.0.0.2')).toMatchObject({ flood: true, macs: ['fa:16:3e:00:00:02'], neigh: { '192.168.0.22': 'fa:16:3e:00:00:02' } });
  });

  it('removes the FDB row of the MAC and the neighbour row of that IP; the VTEP goes with its last entry', () => {
    const m = new ClusterModel();
    const port: [string, string] = ['fa:16:3e:00:00:02', '192.168.0.2'];
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD, port] }), 1, ++seq);
    const changes = m.apply(cast('remove_fdb_entries', { '10.0.0.2': [FLOOD, port] }), 2, ++seq);
    expect(changes).toContainEqual({ type: 'vtep_removed', network: NET, vtep: '10.0.0.2' });
    expect(changes).toContainEqual({ type: 'host_removed', id: 'vtep:10.0.0.2' });
    expect(m.vtepEntries(NET, '10.0.0.2')).toBeUndefined();
  });

  it('keeps a host in the network after its last port goes, until its agent restarts', () => {
    const m = new ClusterModel();
    m.apply(report('h2', '10.0.0.2'), 0, ++seq);
    const port: [string, string] = ['fa:16:3e:00:00:02', '192.168.0.2'];
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD, port] }), 1, ++seq);
    m.apply(cast('remove_fdb_entries', { '10.0.0.2': [FLOOD, port] }), 2, ++seq);
    expect(m.memberships('h2')).toEqual([NET]);
    m.apply(report('h2', '10.0.0.2', true, true), 3, ++seq);
    expect(m.memberships('h2')).toEqual([]);
  });

  it('records the host-directed full FDB as membership with its time', () => {
    const m = new ClusterModel();
    m.apply(cast('add_fdb_entries', { '10.0.0.1': [FLOOD] }, 'h3'), 5, ++seq);
    expect(m.host('h3')?.networks[NET]).toEqual({ joinedAt: 5, directedAt: 5 });
  });

  it('says "told, not applied" for an agent with l2_population=false', () => {
    const m = new ClusterModel();
    m.apply(report('h1', '10.0.0.1', false), 0, ++seq);
    m.apply(cast('add_fdb_entries', { '10.0.0.1': [FLOOD] }), 1, ++seq);
    m.apply(cast('add_fdb_entries', { '10.0.0.2': [FLOOD] }), 2, ++seq);
    expect(m.toldFdb('h1')[0]).toMatchObject({ applied: false, floodList: ['10.0.0.2'] });
  });

  it('round-trips through a snapshot (what the worker persists and reloads)', () => {
    const live = modelAt(loadCapture('lab3'));
    const mid = modelAt(loadCapture('lab3'), Date.parse('2026-11-22T00:25:30Z'));
    const copy = ClusterModel.fromSnapshot(JSON.parse(JSON.stringify(mid.snapshot())));
    expect(copy.snapshot()).toEqual(mid.snapshot());
    // and continues exactly like the original when fed the rest
    const rest = loadCapture('lab3').filter((r) => r.ts.getTime() > Date.parse('2026-11-22T00:25:30Z'));
    let s = 1000;
    for (const r of rest) {
      const d = decodeMessage(r);
      if (d.ok) copy.apply(d.message, r.ts.getTime(), ++s);
    }
    const strip = (x: ReturnType<ClusterModel['snapshot']>) => ({ ...x, seq: 0 });
    expect(strip(copy.snapshot())).toEqual(strip(live.snapshot()));
  });

  it('change lists are absolute: replaying them onto the previous snapshot gives the new one', () => {
    const recs = loadCapture('lab2');
    const m = new ClusterModel();
    const view = { hosts: new Map<string, unknown>(), networks: new Map<string, unknown>(), vteps: new Map<string, unknown>() };
    let s = 0;
    for (const r of recs) {
      const d = decodeMessage(r);
      if (!d.ok) continue;
      for (const c of m.apply(d.message, r.ts.getTime(), ++s)) {
        if (c.type === 'host') view.hosts.set(c.host.id, c.host);
        else if (c.type === 'host_removed') view.hosts.delete(c.id);
        else if (c.type === 'network') view.networks.set(c.network.id, c.network);
        else if (c.type === 'network_removed') view.networks.delete(c.id);
        else if (c.type === 'vtep') view.vteps.set(`${c.entries.network}/${c.entries.vtep}`, c.entries);
        else view.vteps.delete(`${c.network}/${c.vtep}`);
      }
    }
    const snap = m.snapshot();
    expect([...view.hosts.values()]).toEqual(expect.arrayContaining(snap.hosts));
    expect(view.hosts.size).toBe(snap.hosts.length);
    expect(view.vteps.size).toBe(snap.vteps.length);
    expect([...view.networks.values()]).toEqual(snap.networks);
  });
});
