/**
 * Loads the real messages the fleet's bytes are made from: the first l2pop cast and the first
 * Linux bridge report_state of fixtures/lab3.jsonl (neutron-server 21.0.0, oslo.messaging 14.0.3),
 * and the first Open vSwitch report_state of fixtures/ovs-try.jsonl.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureRecord, parseCapture } from '@l2scope/domain';
import type { PyJsonValue } from './pyjson';
import type { WireTemplates } from './wire';

/** The repository's fixtures directory. */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

const inner = (r: CaptureRecord): string => {
  const outer = JSON.parse(Buffer.from(r.body).toString('utf8')) as { 'oslo.message': string };
  return outer['oslo.message'];
};

/** Every record of `fixtures/<name>.jsonl`. */
export function fixtureRecords(name: string, dir = FIXTURES): CaptureRecord[] {
  return parseCapture(readFileSync(path.join(dir, `${name}.jsonl`), 'utf8')).records;
}

/**
 * @throws Error when a fixture lacks one of the messages
 */
export function loadTemplates(dir = FIXTURES): WireTemplates {
  const lab3 = fixtureRecords('lab3', dir);
  const ovs = fixtureRecords('ovs-try', dir);
  const find = (records: CaptureRecord[], what: string, pick: (inner: string) => boolean) => {
    const r = records.find((m) => pick(inner(m)));
    if (!r) throw new Error(`no ${what} in the fixtures`);
    return r;
  };
  const cast = find(lab3, 'add_fdb_entries', (m) => m.startsWith('{"method": "add_fdb_entries"'));
  const lb = find(lab3, 'Linux bridge report_state', (m) => m.includes('"binary": "neutron-linuxbridge-agent"') && m.includes('"start_flag": true'));
  const ovsReport = find(ovs, 'Open vSwitch report_state', (m) => m.includes('"binary": "neutron-openvswitch-agent"') && m.includes('"start_flag": true'));
  return {
    cast: { inner: JSON.parse(inner(cast)) as { [key: string]: PyJsonValue }, properties: cast.properties },
    report: {
      linuxbridge: { inner: inner(lb), properties: lb.properties },
      openvswitch: { inner: inner(ovsReport), properties: ovsReport.properties },
    },
  };
}
