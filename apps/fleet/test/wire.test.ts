/**
 * The fleet's bytes are neutron's: the serialiser re-writes every real l2pop cast of the captures
 * byte for byte, and the report_state builder turns a real first report into the real later one.
 */
import { describe, expect, it } from 'vitest';
import { castBody, envelope, fixtureRecords, loadTemplates, pyJson, reportBody } from '../src';
import type { PyJsonValue } from '../src';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const innerOf = (b: Uint8Array) => (JSON.parse(text(b)) as { 'oslo.message': string })['oslo.message'];

describe('wire', () => {
  it('re-serialises every real l2pop cast and report_state of the captures byte for byte', () => {
    let n = 0;
    for (const name of ['lab1', 'lab2', 'lab3', 'ovs-try']) {
      for (const r of fixtureRecords(name)) {
        const inner = innerOf(r.body);
        if (!/^\{"method": "(add_fdb_entries|remove_fdb_entries|update_fdb_entries|report_state)"/.test(inner)) continue;
        expect(envelope(inner)).toBe(text(r.body));
        // OVS reports carry Python floats (1.0): the builder keeps their text, the rest re-serialises
        if (!inner.includes('"allocation_ratio": 1.0')) expect(pyJson(JSON.parse(inner) as PyJsonValue)).toBe(inner);
        n++;
      }
    }
    expect(n).toBe(94); // every l2pop cast and report_state of the four captures
  });

  it('escapes like Python json.dumps (ensure_ascii)', () => {
    expect(pyJson({ a: ['é', '"\\\n\u0001', 1, null, true] })).toBe('{"a": ["\\u00e9", "\\"\\\\\\n\\u0001", 1, null, true]}');
  });

  it("builds a real l2pop cast from the template with that cast's values", () => {
    const t = loadTemplates();
    const lab3 = fixtureRecords('lab3');
    const directed = lab3.find((r) => r.routingKey.endsWith('.compute2'))!;
    const m = JSON.parse(innerOf(directed.body)) as Record<string, string> & { args: PyJsonValue };
    const body = castBody(t.cast, m.method!, m.args, { uniqueId: m._unique_id!, requestId: m._context_request_id!, contextTimestamp: m._context_timestamp! });
    expect(body).toBe(text(directed.body));
  });

  it("turns compute2's real first report_state into its real second one (start_flag and resource_versions dropped)", () => {
    const t = loadTemplates();
    const reports = fixtureRecords('lab3').filter((r) => r.routingKey === 'q-reports-plugin');
    const second = reports.find((r) => innerOf(r.body).includes('"host": "compute2"') && !innerOf(r.body).includes('start_flag'))!;
    const m = JSON.parse(innerOf(second.body)) as Record<string, string> & { args: { agent_state: { agent_state: { uuid: string } }; time: string } };
    const body = reportBody(t.report.linuxbridge, {
      host: 'compute2',
      vtep: '10.0.20.13',
      devices: 1,
      start: false,
      agentUuid: m.args.agent_state.agent_state.uuid,
      time: m.args.time,
      msgId: m._msg_id!,
      replyQ: m._reply_q!,
      uniqueId: m._unique_id!,
      requestId: m._context_request_id!,
      contextTimestamp: m._context_timestamp!,
    });
    expect(body).toBe(text(second.body));
  });
});
