/** The agent's pure parts: options, ini redaction, addresses, AMQP messages, command lines. */
import { describe, expect, it } from 'vitest';
import { NODE_COMMANDS, buildNodeSnapshot, diffNodeSnapshots, emptyBumCounters, unavailableBumReport } from '@l2scope/domain';
import { deltaSections } from '../src/agent';
import { tcpdumpArgv } from '../src/bum-capture';
import { redactIni } from '../src/bundle';
import { commandFor } from '../src/collect';
import { redactUrl } from '@l2scope/domain';
import { ifaceOwning, parseIpAddr } from '../src/net';
import { DEFAULT_AMQP_URL, parseAgentOptions, type CliOptions } from '../src/options';
import { bumMessage, snapshotMessage } from '../src/publisher';

const base: CliOptions = { interval: '30', ini: [], type: 'auto', bum: true, bumInterval: '5', bumBudget: '20000' };
const noLog = () => {};

describe('options', () => {
  it('defaults: run mode, env AMQP_URL, else the local guest broker', () => {
    const m = parseAgentOptions({ ...base, host: 'compute1' }, {}, noLog);
    expect(m.mode).toBe('run');
    expect(m.config).toMatchObject({
      host: 'compute1',
      amqpUrl: DEFAULT_AMQP_URL,
      intervalS: 30,
      bum: true,
      bumIntervalS: 5,
      bumBudgetPps: 20_000,
      type: 'auto',
      iniPaths: [],
    });
    expect(parseAgentOptions({ ...base, host: 'h' }, { AMQP_URL: 'amqp://u:p@broker:5672/v' }, noLog).config.amqpUrl).toBe('amqp://u:p@broker:5672/v');
    expect(parseAgentOptions({ ...base, host: 'h', amqp: 'amqps://x/' }, { AMQP_URL: 'amqp://y/' }, noLog).config.amqpUrl).toBe('amqps://x/');
  });

  it('modes and passthrough', () => {
    const b = parseAgentOptions(
      { ...base, host: 'h', bundle: '/tmp/b', ini: ['/a.ini', '/b.ini'], type: 'openvswitch', ovsDb: 'unix:/x/db.sock', ovsRundir: '/x' },
      {},
      noLog,
    );
    expect(b).toMatchObject({
      mode: 'bundle',
      dir: '/tmp/b',
      config: { iniPaths: ['/a.ini', '/b.ini'], type: 'openvswitch', ovsDb: 'unix:/x/db.sock', ovsRundir: '/x' },
    });
    expect(parseAgentOptions({ ...base, host: 'h', once: true }, {}, noLog).mode).toBe('once');
    const r = parseAgentOptions({ ...base, host: 'h', bum: false, bumIface: 'ul0', bumPort: '4789', poll: '0' }, {}, noLog);
    expect(r.config).toMatchObject({ bum: false, bumIface: 'ul0', bumPort: 4789, pollS: 0 });
  });

  it('rejects bad values naming the option', () => {
    expect(() => parseAgentOptions({ ...base, host: 'bad host' }, {}, noLog)).toThrow(/--host/);
    expect(() => parseAgentOptions({ ...base, host: 'h', interval: '0' }, {}, noLog)).toThrow(/--interval/);
    expect(() => parseAgentOptions({ ...base, host: 'h', bumPort: '70000' }, {}, noLog)).toThrow(/--bum-port/);
    expect(() => parseAgentOptions({ ...base, host: 'h', type: 'ovn' }, {}, noLog)).toThrow(/--type/);
    expect(() => parseAgentOptions({ ...base, host: 'h', amqp: 'http://x' }, {}, noLog)).toThrow(/amqp/);
    expect(() => parseAgentOptions({ ...base, host: 'h', bumIface: 'ul0; rm -rf /' }, {}, noLog)).toThrow(/--bum-iface/);
    expect(() => parseAgentOptions({ ...base, host: 'h', bundle: '/x', once: true }, {}, noLog)).toThrow(/exclude/);
  });
});

describe('no secrets', () => {
  it('redacts secret-looking ini values, keeps everything l2scope reads', () => {
    const ini = [
      '[DEFAULT]',
      'transport_url = rabbit://neutron:s3cret@10.0.0.5:5672/',
      'debug = true',
      '[database]',
      'connection = mysql+pymysql://neutron:pw@db/neutron',
      '[keystone_authtoken]',
      'password: hunter2',
      '# password = commented',
      '[vxlan]',
      'local_ip = 10.0.20.11',
      'l2_population = true',
      '[ovs]',
      'ovsdb_connection = tcp:127.0.0.1:6640',
      '',
    ].join('\n');
    const r = redactIni(ini);
    expect(r).not.toMatch(/s3cret|hunter2|:pw@/);
    expect(r).toContain('transport_url = ***');
    expect(r).toContain('password: ***');
    expect(r).toContain('# password = commented');
    expect(r).toContain('local_ip = 10.0.20.11');
    expect(r).toContain('ovsdb_connection = tcp:127.0.0.1:6640');
    expect(r.split('\n')).toHaveLength(ini.split('\n').length);
  });

  it('logs URLs without their password', () => {
    expect(redactUrl('amqp://agent:s3cret@broker:5672/%2F')).toBe('amqp://agent:***@broker:5672/%2F');
    expect(redactUrl('not a url')).toBe('<url>');
  });
});

describe('addresses', () => {
  it('finds the interface holding local_ip in `ip -j addr show`', () => {
    const text = JSON.stringify([
      { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      {
        ifindex: 2,
        ifname: 'ul0',
        addr_info: [
          { family: 'inet', local: '10.0.20.11', prefixlen: 24 },
          { family: 'inet', local: '10.0.20.99', prefixlen: 24 },
        ],
      },
      { ifindex: 3, ifname: 'vxlan-649', addr_info: [] },
    ]);
    const ifs = parseIpAddr(text);
    expect(ifaceOwning(ifs, '10.0.20.11')).toEqual({ ifname: 'ul0', addresses: ['10.0.20.11', '10.0.20.99'] });
    expect(ifaceOwning(ifs, '10.9.9.9')).toBeUndefined();
  });
});

describe('commands', () => {
  it('runs NODE_COMMANDS as they are, with the OVS connection options added', () => {
    expect(commandFor('bridgeFdb', {})).toEqual([...NODE_COMMANDS.bridgeFdb]);
    expect(commandFor('ovsVsctl', { ovsDb: 'unix:/run/x/db.sock' })).toEqual([
      'ovs-vsctl',
      '--db=unix:/run/x/db.sock',
      '--timeout=5',
      ...NODE_COMMANDS.ovsVsctl.slice(1),
    ]);
    expect(commandFor('flowsBrTun', {})).toEqual(['ovs-ofctl', '--timeout=5', ...NODE_COMMANDS.flowsBrTun.slice(1)]);
    expect(tcpdumpArgv('/usr/bin/tcpdump', 'ul0', 8472)).toEqual([
      '/usr/bin/tcpdump',
      '-i',
      'ul0',
      '-p',
      '-nn',
      '-U',
      '-s',
      '160',
      '-w',
      '-',
      'udp and dst port 8472',
    ]);
  });
});

describe('AMQP messages', () => {
  const full = buildNodeSnapshot({
    host: 'compute-1.example',
    instance: 'abc',
    seq: 1,
    takenAt: Date.parse('2026-11-22T00:00:00Z'),
    raw: { bridgeFdb: '[]', ipLinkVxlan: '[]' },
    agentType: 'linuxbridge',
  });
  it('full: persistent, schema header, messageId instance:seq, dotted routing key', () => {
    const m = snapshotMessage(full);
    expect(m.routingKey).toBe('snapshot.compute-1.example');
    expect(m.options).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      headers: { 'x-l2scope-schema': 'l2scope.node-snapshot/1' },
      messageId: 'abc:1',
      type: 'full',
      timestamp: Date.parse('2026-11-22T00:00:00Z') / 1000,
    });
    expect(JSON.parse(m.body.toString('utf8'))).toEqual(full);
  });
  it('delta: transient; sections listed', () => {
    const next = buildNodeSnapshot({
      host: 'compute-1.example',
      instance: 'abc',
      seq: 2,
      takenAt: Date.now(),
      raw: { bridgeFdb: JSON.stringify([{ mac: 'fa:16:3e:00:00:01', ifname: 'vxlan-649', dst: '10.0.0.2', flags: ['self'], state: 'permanent' }]) },
      agentType: 'linuxbridge',
    });
    const d = diffNodeSnapshots(full, next);
    expect(snapshotMessage(d).options).toMatchObject({ deliveryMode: 1, type: 'delta', messageId: 'abc:2' });
    expect(deltaSections(d)).toEqual(['linuxbridge.fdb']);
    expect(deltaSections(diffNodeSnapshots(full, { ...full, seq: 2 }))).toEqual([]);
  });
  it('BUM report: bum.<host>, its schema header', () => {
    const r = unavailableBumReport({
      host: 'compute-1.example',
      instance: 'abc',
      vtep: null,
      iface: 'ul0',
      udpPort: 8472,
      fromMs: 0,
      toMs: 5000,
      reason: 'tcpdump missing',
    });
    const m = bumMessage(r, 7);
    expect(m.routingKey).toBe('bum.compute-1.example');
    expect(m.options).toMatchObject({ deliveryMode: 1, headers: { 'x-l2scope-schema': 'l2scope.bum/1' }, messageId: 'abc:bum:7', type: 'bum' });
    expect(emptyBumCounters().packets).toBe(0);
  });
});
