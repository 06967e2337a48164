import { describe, expect, it } from 'vitest';
import {
  L2POP_FANOUT_EXCHANGE,
  decodeMessage,
  decodeOslo,
  messageRefs,
  redactSecrets,
  resolveTarget,
  tapBindings,
  toDecodeJson,
  versionIsCompatible,
} from '../src';
import { loadCapture, readFixture } from './fixtures';

/** Wrap an inner oslo message the way oslo.messaging `serialize_msg` does. */
function envelope(inner: object, version = '2.0'): string {
  return JSON.stringify({ 'oslo.version': version, 'oslo.message': JSON.stringify(inner) });
}

const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';
const addArgs = {
  fdb_entries: {
    [NET]: {
      segment_id: 649,
      network_type: 'vxlan',
      ports: {
        '10.0.20.12': [
          ['00:00:00:00:00:00', '0.0.0.0'],
          ['FA:16:3E:98:B9:F6', '172.16.1.12'],
        ],
      },
    },
  },
};

describe('oslo envelope', () => {
  it('implements oslo version_is_compatible', () => {
    expect(versionIsCompatible('2.0', '2.0')).toBe(true);
    expect(versionIsCompatible('2.0', '2.0.0')).toBe(true);
    expect(versionIsCompatible('2.0', '2.1')).toBe(false);
    expect(versionIsCompatible('2.0', '1.0')).toBe(false);
    expect(versionIsCompatible('2.0', '3.0')).toBe(false);
    expect(versionIsCompatible('2.0', 'x')).toBe(false);
  });

  it('rejects an incompatible oslo.version, like oslo UnsupportedRpcEnvelopeVersion', () => {
    const r = decodeOslo(envelope({ method: 'add_fdb_entries', args: addArgs }, '3.0'));
    expect(r).toMatchObject({ ok: false, error: { reason: 'unsupported_envelope_version' } });
  });

  it('takes a dict without both envelope keys as the bare message, as oslo deserialize_msg does', () => {
    const r = decodeOslo(JSON.stringify({ method: 'report_state', args: {} }));
    expect(r.ok && r.message.enveloped).toBe(false);
  });

  it.each([
    ['invalid_json', Buffer.from('{"oslo.version": "2.0", ')],
    ['invalid_utf8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['not_an_object', Buffer.from('[1,2]')],
    ['invalid_inner_json', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{nope' }))],
    ['missing_method', Buffer.from(envelope({ args: {} }))],
  ])('reports %s', (reason, body) => {
    const r = decodeOslo(new Uint8Array(body));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason);
      expect(r.error.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses bodies over the decode limit without parsing them', () => {
    const big = new Uint8Array(10 * 1024 * 1024).fill(0x20);
    const r = decodeOslo(big);
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large' } });
  });

  it('drops _context_auth_token from the decoded context', () => {
    const r = decodeOslo(envelope({ method: 'port_update', args: {}, _context_auth_token: 'gAAAAsecret', _context_request_id: 'req-1' }));
    expect(r.ok && r.message.context).toEqual({ request_id: 'req-1' });
    expect(JSON.stringify(r)).not.toContain('gAAAAsecret');
  });
});

describe('redactSecrets', () => {
  it('blanks token values inside the double-encoded envelope and leaves it valid JSON', () => {
    const body = new TextEncoder().encode(envelope({ method: 'x', args: {}, _context_auth_token: 'gAAAAAB-secret_1', _context_user: 'u' }));
    const { body: out, redacted } = redactSecrets(body);
    const text = new TextDecoder().decode(out);
    expect(redacted).toBe(1);
    expect(text).not.toContain('gAAAAAB-secret_1');
    const inner = JSON.parse(JSON.parse(text)['oslo.message']);
    expect(inner._context_auth_token).toBe('***');
    expect(inner._context_user).toBe('u');
  });

  it('leaves null tokens and bodies without tokens byte-identical', () => {
    const body = new TextEncoder().encode(envelope({ method: 'x', _context_auth_token: null }));
    expect(redactSecrets(body)).toEqual({ body, redacted: 0 });
  });

  it('redacts inside bodies that are not valid UTF-8', () => {
    const body = new Uint8Array([...Buffer.from('"_context_auth_token": "abc123"'), 0xff]);
    const out = Buffer.from(redactSecrets(body).body);
    expect(out.toString('latin1')).toBe('"_context_auth_token": "***"\u00ff');
  });
});

describe('decodeMessage', () => {
  it('decodes an add_fdb_entries fanout: flood entry recognised, MAC lower-cased, target fanout', () => {
    const r = decodeMessage({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body: envelope({ method: 'add_fdb_entries', args: addArgs, version: '1.0' }) });
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.kind !== 'fdb') throw new Error('expected fdb');
    expect(r.message.target).toBe('fanout');
    expect(r.message.entries).toEqual([
      { network: NET, vni: 649, networkType: 'vxlan', vtep: '10.0.20.12', mac: '00:00:00:00:00:00', ip: '0.0.0.0', flood: true },
      { network: NET, vni: 649, networkType: 'vxlan', vtep: '10.0.20.12', mac: 'fa:16:3e:98:b9:f6', ip: '172.16.1.12', flood: false },
    ]);
  });

  it('takes the host of a host-directed cast from the routing key, dots included', () => {
    expect(resolveTarget('neutron', 'q-agent-notifier-l2population-update.compute-1.dc1.example.org')).toBe('compute-1.dc1.example.org');
    expect(resolveTarget('neutron', 'q-reports-plugin')).toBeNull();
    expect(resolveTarget('q-agent-notifier-port-update_fanout', '')).toBe('fanout');
  });

  it('rejects unknown methods on the l2pop topic but keeps other Neutron methods as "other"', () => {
    const bad = decodeMessage({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body: envelope({ method: 'flush_fdb', args: {} }) });
    expect(bad).toMatchObject({ ok: false, error: { reason: 'unknown_method' }, method: 'flush_fdb' });
    const other = decodeMessage({ exchange: 'neutron', routingKey: 'q-reports-plugin', body: envelope({ method: 'has_alive_neutron_server', args: {} }) });
    expect(other).toMatchObject({ ok: true, message: { kind: 'other', method: 'has_alive_neutron_server' } });
  });

  it('reports invalid l2pop args with the path of the problem', () => {
    const args = { fdb_entries: { [NET]: { segment_id: 649, network_type: 'vxlan', ports: { '10.0.20.12': [['not-a-mac', '1.2.3.4']] } } } };
    const r = decodeMessage({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body: envelope({ method: 'add_fdb_entries', args }) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe('invalid_args');
      expect(r.error.message).toContain('not a MAC');
    }
  });

  it('decodes every message of every real capture; the l2pop casts and reports all validate', () => {
    for (const scenario of ['lab1', 'lab2', 'lab3', 'ovs-try']) {
      const counts: Record<string, number> = {};
      for (const rec of loadCapture(scenario)) {
        const r = decodeMessage(rec);
        expect(r.ok, `${scenario}: ${JSON.stringify(!r.ok && r.error)}`).toBe(true);
        if (r.ok) counts[r.message.kind] = (counts[r.message.kind] ?? 0) + 1;
      }
      expect(counts.fdb).toBeGreaterThan(0);
      expect(counts.report_state).toBeGreaterThan(0);
    }
  });

  it('matches the per-method counts the lab recorded for lab2 (timings.json)', () => {
    const timings = JSON.parse(readFixture('lab2', 'timings.json')) as { counts: Record<string, number> };
    const counts: Record<string, number> = {};
    for (const rec of loadCapture('lab2')) {
      const r = decodeMessage(rec);
      if (!r.ok) continue;
      const rk = r.message.target && r.message.target !== 'fanout' ? 'q-agent-notifier-l2population-update.<host>' : rec.routingKey;
      const key = `${rec.exchange} ${rk} ${r.message.method}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual(timings.counts);
  });

  it('reads report_state configurations, including OVS arp_responder_enabled', () => {
    const ovs = loadCapture('ovs-try')
      .map((r) => decodeMessage(r))
      .find((r) => r.ok && r.message.kind === 'report_state' && r.message.agent.host === 'ovs1');
    expect(ovs && ovs.ok && ovs.message.kind === 'report_state' && ovs.message.agent).toMatchObject({
      binary: 'neutron-openvswitch-agent',
      tunnelingIp: '10.0.20.21',
      l2population: true,
      arpResponder: true,
    });
  });

  it('indexes refs (networks, VNIs, VTEPs, hosts) for the inspector', () => {
    const r = decodeMessage({
      exchange: 'neutron',
      routingKey: 'q-agent-notifier-l2population-update.compute1',
      body: envelope({ method: 'add_fdb_entries', args: addArgs }),
    });
    expect(messageRefs(r)).toEqual({ networks: [NET], vnis: [649], vteps: ['10.0.20.12'], hosts: ['compute1'] });
  });
});

describe('toDecodeJson (CLI output)', () => {
  it('prints the documented shape', () => {
    const r = decodeMessage({
      exchange: 'neutron',
      routingKey: 'q-agent-notifier-l2population-update.compute1',
      body: envelope({ method: 'add_fdb_entries', args: addArgs }),
    });
    expect(toDecodeJson(r)).toEqual({
      ok: true,
      method: 'add_fdb_entries',
      target: 'compute1',
      entries: [
        { network: NET, vni: 649, vtep: '10.0.20.12', mac: '00:00:00:00:00:00', ip: '0.0.0.0', flood: true },
        { network: NET, vni: 649, vtep: '10.0.20.12', mac: 'fa:16:3e:98:b9:f6', ip: '172.16.1.12', flood: false },
      ],
      chg_ip: [],
      agent: null,
    });
  });
});

describe('tap bindings', () => {
  it('bind the l2pop fanout, host-directed casts with #, report_state, the network_delete fanout and the DVR fanouts', () => {
    const b = tapBindings().map(
      (x) => `${x.exchange.name}(${x.exchange.type},durable=${x.exchange.durable},autoDelete=${x.exchange.autoDelete}) ${x.routingKey}`,
    );
    expect(b).toEqual([
      'q-agent-notifier-l2population-update_fanout(fanout,durable=false,autoDelete=true) ',
      'neutron(topic,durable=false,autoDelete=false) q-agent-notifier-l2population-update.#',
      'neutron(topic,durable=false,autoDelete=false) q-reports-plugin',
      'q-agent-notifier-network-delete_fanout(fanout,durable=false,autoDelete=true) ',
      'q-agent-notifier-dvr-update_fanout(fanout,durable=false,autoDelete=true) ',
      'l3_agent_fanout(fanout,durable=false,autoDelete=true) ',
    ]);
    const all = tapBindings({ allRpc: true }).map((x) => `${x.exchange.name} ${x.routingKey}`);
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all).size).toBe(all.length);
  });
});
