/**
 * Poison input (docs/wire-format.md#poison-input): what a hostile publisher can send is refused
 * before it is parsed or validated, with a reason, and no step after the decode can throw on it.
 * Known bad cases: (a) arguments nested ~6,000 deep, (b) 80,000 invalid `[mac, ip]` pairs,
 * (c) one 3.75 MB cast to 40,000 VTEPs (quadratic change set in the model).
 */
import { describe, expect, it } from 'vitest';
import {
  ClusterModel,
  DEFAULT_JSON_LIMITS,
  L2POP_FANOUT_EXCHANGE,
  checkJsonLimits,
  decodeMessage,
  messageRefs,
  messageSearchText,
  parseCaptureLine,
  toDecodeJson,
} from '../src';
import { loadCapture } from './fixtures';

const envelope = (inner: string) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': inner });
const nested = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
const fanout = (body: string) => ({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body });
const reports = (body: string) => ({ exchange: 'neutron', routingKey: 'q-reports-plugin', body });

/** Everything the worker does with a decode result before storing it (none of it may throw). */
function ingest(raw: { exchange: string; routingKey: string; body: string }) {
  const r = decodeMessage(raw);
  const refs = messageRefs(r);
  const search = messageSearchText(raw.exchange, raw.routingKey, r, refs);
  const json = JSON.stringify(toDecodeJson(r));
  const changes = r.ok ? new ClusterModel().apply(r.message, 0, 1) : [];
  return { r, search, json, changes };
}

describe('checkJsonLimits', () => {
  it('counts nesting and entries outside strings only, escapes included', () => {
    expect(checkJsonLimits('[[1]]', { maxDepth: 2, maxEntries: 10 })).toBeNull();
    expect(checkJsonLimits('[[[1]]]', { maxDepth: 2, maxEntries: 10 })).toMatchObject({ reason: 'too_deep' });
    expect(checkJsonLimits('{"a":"[[[[\\"[[[[","b":[1,2]}', { maxDepth: 2, maxEntries: 10 })).toBeNull();
    expect(checkJsonLimits('[1,2,3,4]', { maxDepth: 5, maxEntries: 4 })).toBeNull();
    expect(checkJsonLimits('[1,2,3,4,5]', { maxDepth: 5, maxEntries: 4 })).toMatchObject({ reason: 'too_many_entries' });
    expect(checkJsonLimits('"a,b,c,d,e,f"', { maxDepth: 1, maxEntries: 1 })).toBeNull();
    // an unterminated string or stray closers never throw (JSON.parse reports those)
    expect(checkJsonLimits('"abc\\', DEFAULT_JSON_LIMITS)).toBeNull();
    expect(checkJsonLimits(']]]]{', DEFAULT_JSON_LIMITS)).toBeNull();
  });

  it('lets every message of every real capture through with the default caps', () => {
    for (const scenario of ['lab1', 'lab2', 'lab3', 'ovs-try', 'switch-noclean', 'mixed', 'faults', 'ovs-node']) {
      for (const rec of loadCapture(scenario)) {
        const r = decodeMessage(rec);
        if (!r.ok) expect(r.error.reason, `${scenario}: ${r.error.message}`).not.toMatch(/^too_/);
      }
    }
  });
});

describe('(a) arguments nested 6,000 deep', () => {
  it('are too_deep in the inner message, refused before the parse; nothing after it throws', () => {
    const { r } = ingest(reports(envelope(`{"method":"port_update","args":{"x":${nested(6000)}}}`)));
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_deep', message: expect.stringMatching(/^oslo\.message: JSON nested deeper than 64 levels/) } });
  });

  it('are too_deep in the envelope too, and in a report_state or an l2pop cast', () => {
    expect(ingest(reports(`{"oslo.version":"2.0","x":${nested(6000)},"oslo.message":"{}"}`)).r).toMatchObject({ ok: false, error: { reason: 'too_deep' } });
    const report = `{"method":"report_state","args":{"agent_state":{"agent_state":{"binary":"b","host":"h","agent_type":"Linux bridge agent","configurations":{"x":${nested(6000)}}}}}}`;
    expect(ingest(reports(envelope(report))).r).toMatchObject({ ok: false, error: { reason: 'too_deep' } });
    const cast = `{"method":"add_fdb_entries","args":{"fdb_entries":{"n":{"segment_id":1,"network_type":"vxlan","ports":{"10.0.0.1":${nested(6000)}}}}}}`;
    expect(ingest(fanout(envelope(cast))).r).toMatchObject({ ok: false, method: null, error: { reason: 'too_deep' } });
  });

  it('in the AMQP headers of a capture line: the line is refused before it is parsed', () => {
    const line = `{"ts":"2026-01-01T00:00:00Z","exchange":"neutron","routingKey":"q-reports-plugin","properties":{"headers":{"x":${nested(6000)}}},"body":"{}"}`;
    expect(parseCaptureLine(line)).toMatchObject({ ok: false, error: expect.stringMatching(/^capture line: too_deep: /) });
  });

  it('honours a smaller maxDepth', () => {
    const body = envelope(`{"method":"port_update","args":{"x":${nested(10)}}}`);
    expect(decodeMessage(reports(body)).ok).toBe(true);
    expect(decodeMessage(reports(body), { maxDepth: 8 })).toMatchObject({ ok: false, error: { reason: 'too_deep' } });
  });
});

describe('(b) 80,000 invalid [mac, ip] pairs', () => {
  it('are invalid_args naming the first bad pair, without building 160,000 zod issues', () => {
    const pairs = Array.from({ length: 80_000 }, () => ['zz', 'nope']);
    const inner = JSON.stringify({
      method: 'add_fdb_entries',
      args: { fdb_entries: { n: { segment_id: 1, network_type: 'vxlan', ports: { '10.0.0.1': pairs } } } },
    });
    const { r } = ingest(fanout(envelope(inner)));
    expect(r).toMatchObject({
      ok: false,
      method: 'add_fdb_entries',
      error: { reason: 'invalid_args', message: 'add_fdb_entries: fdb_entries.n.ports.10.0.0.1.0.0: not a MAC address' },
    });
  });

  it('as 80,000 invalid VTEP keys, chg_ip pairs or tunnel types: the first issue only', () => {
    const keys = Object.fromEntries(Array.from({ length: 80_000 }, (_, i) => [`vtep-${i}`, []]));
    const cast = JSON.stringify({ method: 'add_fdb_entries', args: { fdb_entries: { n: { segment_id: 1, network_type: 'vxlan', ports: keys } } } });
    expect(ingest(fanout(envelope(cast))).r).toMatchObject({
      ok: false,
      error: { reason: 'invalid_args', message: 'add_fdb_entries: fdb_entries.n.ports.vtep-0: Invalid key in record' },
    });
    const pairs = Array.from({ length: 80_000 }, () => ['zz', 'nope']);
    const update = JSON.stringify({ method: 'update_fdb_entries', args: { fdb_entries: { chg_ip: { n: { '10.0.0.1': { before: pairs, after: pairs } } } } } });
    expect(ingest(fanout(envelope(update))).r).toMatchObject({
      ok: false,
      error: { reason: 'invalid_args', message: expect.stringContaining('chg_ip.n.10.0.0.1.') },
    });
    const types = Array.from({ length: 80_000 }, (_, i) => i);
    const report = JSON.stringify({
      method: 'report_state',
      args: { agent_state: { agent_state: { binary: 'b', host: 'h', agent_type: 'a', configurations: { tunnel_types: types } } } },
    });
    expect(ingest(reports(envelope(report))).r).toMatchObject({
      ok: false,
      error: { reason: 'invalid_args', message: expect.stringContaining('agent_state.agent_state.configurations.tunnel_types.0:') },
    });
  }, 30_000);

  it('more entries than maxEntries are too_many_entries before the parse', () => {
    const inner = JSON.stringify({
      method: 'add_fdb_entries',
      args: { fdb_entries: { n: { segment_id: 1, network_type: 'vxlan', ports: { '10.0.0.1': [] } } } },
    });
    expect(decodeMessage(fanout(envelope(inner)), { maxEntries: 5 })).toMatchObject({ ok: false, error: { reason: 'too_many_entries' } });
  });
});

describe('(c) one 3.75 MB cast to 40,000 VTEPs', () => {
  it('is decoded and folded in linear time: one change per VTEP and per anonymous host', () => {
    const ports: Record<string, [string, string][]> = {};
    for (let i = 0; i < 40_000; i++) {
      const h = (i + 0x100000).toString(16).slice(-6);
      ports[`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] = [
        ['00:00:00:00:00:00', '0.0.0.0'],
        [`fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`, `192.168.${(i >> 8) & 255}.${i & 255}`],
      ];
    }
    const body = envelope(JSON.stringify({ method: 'add_fdb_entries', args: { fdb_entries: { 'net-1': { segment_id: 100, network_type: 'vxlan', ports } } } }));
    expect(body.length).toBeGreaterThan(3_500_000);
    const started = performance.now();
    const { r, changes } = ingest({ exchange: 'neutron', routingKey: 'q-agent-notifier-l2population-update.compute1', body });
    const ms = performance.now() - started;
    expect(r.ok).toBe(true);
    // 1 network, 40,000 VTEP records, 40,000 anonymous hosts, the target host
    expect(changes.length).toBe(80_002);
    expect(changes.filter((c) => c.type === 'vtep')).toHaveLength(40_000);
    // was ~50 s (indexOf + splice per re-marked record); linear now: a few seconds even on a loaded machine
    expect(ms).toBeLessThan(20_000);
  }, 60_000);

  it('search text of a message naming 300,000 VTEPs: built without spreading them as arguments', () => {
    const vteps = Array.from({ length: 300_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const r = decodeMessage(fanout(envelope('{"method":"add_fdb_entries","args":{"fdb_entries":{}}}')));
    const text = messageSearchText('x', 'y', r, { networks: [], vnis: [], vteps, hosts: [] });
    expect(text.length).toBe(8192);
  });

  it('keeps ids with NUL apart: a network id holding NUL is one VTEP record, not a removal', () => {
    const inner = JSON.stringify({
      method: 'add_fdb_entries',
      args: { fdb_entries: { 'net\u0000x': { segment_id: 9, network_type: 'vxlan', ports: { '10.0.0.9': [['00:00:00:00:00:00', '0.0.0.0']] } } } },
    });
    const { changes } = ingest(fanout(envelope(inner)));
    expect(changes.filter((c) => c.type === 'vtep_removed')).toEqual([]);
    expect(changes.find((c) => c.type === 'vtep')).toMatchObject({ entries: { network: 'net\u0000x', vtep: '10.0.0.9' } });
  });
});
