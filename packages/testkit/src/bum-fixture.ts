/**
 * BUM reports of the lab's recorded underlay captures, for tests: fixtures/bum/<lab>/ holds, per
 * host, `<host>-ul0.pcap` (tcpdump on the underlay) and the host's node bundle files of the same run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BumFdb, type BumReport, meterCapture, snapshotsFromBundle } from '@l2scope/domain';

/**
 * `host`'s BUM report as its node agent makes it: the whole capture `<dir>/<host>-ul0.pcap`
 * metered as one interval (domain `meterCapture`) with the host's FDB from its bundle files in `dir`.
 * @param dir absolute path of a fixtures/bum/<lab> directory
 * @param vtep the host's VTEP address (decides sent / received)
 * @param instance the report's agent instance
 * @throws Error when `dir` has no bundle or no non-empty capture for `host`
 */
export function fixtureBumReport(dir: string, host: string, vtep: string, instance = 'test'): BumReport {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.startsWith(`${host}-`) && !f.endsWith('.pcap')) files[f] = readFileSync(path.join(dir, f), 'utf8');
  const snap = snapshotsFromBundle(files).snapshots.find((s) => s.host === host);
  if (!snap) throw new Error(`no node bundle for ${host} in ${dir}`);
  const report = meterCapture(readFileSync(path.join(dir, `${host}-ul0.pcap`)), {
    host,
    instance,
    vtep,
    iface: 'ul0',
    udpPort: 8472,
    fdb: BumFdb.fromSnapshot(snap),
  });
  if (!report) throw new Error(`${host}-ul0.pcap in ${dir} holds no packet`);
  return report;
}
