/**
 * Host frames leaking into the tenant network, watched over a whole stretch of the suite. A frame
 * that a hypervisor-side device sends by itself (the `brq<net>` bridge, a tap's host end,
 * `vxlan-<VNI>`) and that crosses a tunnel makes every receiving host learn a MAC Neutron never
 * announced: the node agents' analysis lists it as a foreign MAC (`foreign_mac`). In this lab every
 * tenant frame comes from a VM, whose MAC is a Neutron port's, so nothing else may cross. Three
 * views, all of which must stay empty:
 * - the fabric: every VXLAN packet each host sends into `br-fabric` (capture.ts), filtered by
 *   tcpdump to those whose inner source MAC is not Neutron's; the inner frame is kept as tcpdump
 *   decodes it (ethertype, protocol);
 * - the node agents' analysis (`GET /api/nodes` of the worker), polled every {@link POLL_MS}:
 *   every `foreignMacs` entry seen on any host at any poll (a row may go away before the check,
 *   e.g. when a mode switch deletes `vxlan-<VNI>`);
 * - the kernels at check time: learned `bridge fdb` rows on a `vxlan-*` device for a MAC that is
 *   not Neutron's.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseBridgeFdb } from '@l2scope/domain';
import { nsRun } from '../src/exec';
import { VXLAN_PORT, hostNs } from '../src/paths';
import { startFabricCapture } from './capture';
import type { NodesView } from './helpers';

/**
 * First three octets of every MAC Neutron allocates: neutron.conf `[DEFAULT] base_mac`
 * (fa:16:3e:00:00:00, the default; the lab does not override it).
 */
export const NEUTRON_MAC_PREFIX = 'fa:16:3e';

/** How often the node view is polled for foreign MACs (ms). */
export const POLL_MS = 500;

/**
 * tcpdump filter: VXLAN packets whose inner source MAC does not start with {@link NEUTRON_MAC_PREFIX}.
 * Offsets from the UDP header: UDP 8 + VXLAN 8 + inner destination MAC 6 = 22.
 */
export const FOREIGN_INNER_SOURCE_FILTER = `udp dst port ${VXLAN_PORT} and not (udp[22:4] & 0xffffff00 = 0x${NEUTRON_MAC_PREFIX.replaceAll(':', '')}00)`;

/** A VXLAN packet a host sent into the fabric carrying a frame from a non-Neutron source MAC. */
export interface LeakedFrame {
  /** The host whose fabric port it entered by. */
  host: string;
  /** Capture time, ISO. */
  at: string;
  /** Outer source and destination (VTEP addresses). */
  from: string;
  to: string;
  /** Inner source MAC. */
  mac: string;
  /** The inner frame as tcpdump prints it (`src > dst, ethertype ..., length n: <protocol>`). */
  inner: string;
}

/** A foreign MAC on a host, from the node agents' analysis or from the kernel. */
export interface ForeignSighting {
  host: string;
  mac: string;
  /** The VTEP it was learned from (null: a bridge's own `master` row, which has no `dst`). */
  vtep: string | null;
  /** `analysis` (node agents, first seen at `at`) or `kernel` (a `bridge fdb` row at check time). */
  source: 'analysis' | 'kernel';
  at: string;
  /** The analysis' evidence or the kernel row. */
  detail: string;
}

/** What {@link LeakWatch.check} found since the watch started. */
export interface LeakReport {
  frames: LeakedFrame[];
  foreign: ForeignSighting[];
}

/** A running watch; see the module comment. */
export interface LeakWatch {
  /**
   * Everything seen since the start: leaked frames on the fabric (the pcaps read now), foreign MACs
   * the analysis showed at any poll, and learned non-Neutron rows the kernels hold now.
   */
  check(): Promise<LeakReport>;
  /** Stop the captures (by PID) and the poller, remove the pcaps. */
  stop(): Promise<void>;
}

/** Whether a MAC (any case) is one Neutron allocates. */
export const isNeutronMac = (mac: string) => mac.toLowerCase().startsWith(`${NEUTRON_MAC_PREFIX}:`);

/**
 * Start watching: one tcpdump per host on its fabric port (resolves once each is listening) and a
 * poller of the node view.
 * @param hosts lab host names (their fabric ports must exist)
 * @param nodes reads the worker's node view (`ModelSource.nodes`)
 * @throws Error when a tcpdump does not start within 10 s
 */
export async function startLeakWatch(hosts: string[], nodes: () => Promise<NodesView>): Promise<LeakWatch> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-leaks-'));
  const settled = await Promise.allSettled(hosts.map((host) => startFabricCapture(host, path.join(dir, `${host}.pcap`), FOREIGN_INNER_SOURCE_FILTER)));
  const captures = settled.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  const failed = settled.find((c) => c.status === 'rejected');
  if (failed) {
    await Promise.all(captures.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw failed.reason;
  }
  const seen = new Map<string, ForeignSighting>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const v = await nodes().catch(() => null);
      for (const [host, ha] of Object.entries(v?.analysis?.hosts ?? {})) {
        for (const f of ha.foreignMacs ?? []) {
          const key = `${host}|${f.mac}|${f.vtep}`;
          if (!seen.has(key))
            seen.set(key, {
              host,
              mac: f.mac,
              vtep: f.vtep,
              source: 'analysis',
              at: new Date().toISOString(),
              detail: f.evidence.map((e) => e.text).join('; ') || f.detail,
            });
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    async stop() {
      polling = false;
      await Promise.all([poller, ...captures.map((c) => c.stop())]);
      rmSync(dir, { recursive: true, force: true });
    },
    async check() {
      const frames = (await Promise.all(captures.map((c) => leakedFrames(c.host, c.file)))).flat();
      const kernel = (await Promise.all(hosts.map(kernelForeignRows))).flat();
      return { frames, foreign: [...seen.values(), ...kernel] };
    },
  };
}

/** Decode a pcap of {@link FOREIGN_INNER_SOURCE_FILTER} packets (tcpdump prints outer and inner frame on two lines). */
async function leakedFrames(host: string, file: string): Promise<LeakedFrame[]> {
  // tcpdump writes the pcap header with the first packet (-U): an empty file means none matched
  if (!existsSync(file) || statSync(file).size === 0) return [];
  const r = await execa('tcpdump', ['-r', file, '-nn', '-e', '-tt'], { reject: false });
  // a packet being written as we read shows as a truncated file: the packets before it are whole
  if (r.exitCode !== 0 && !/truncated/i.test(String(r.stderr))) throw new Error(`tcpdump -r ${file} failed: ${String(r.stderr).trim()}`);
  return parseLeakedFrames(host, String(r.stdout));
}

/**
 * Parse `tcpdump -nn -e -tt` output of VXLAN packets: an outer line (`<epoch s> <macs>, ...:
 * <src>.<port> > <dst>.<port>: OTV ...`) followed by the inner frame's line (`<src mac> > <dst mac>, ...`).
 * Pure; lines that fit neither are skipped.
 */
export function parseLeakedFrames(host: string, text: string): LeakedFrame[] {
  const out: LeakedFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const outer = /^(\d+\.\d+) .*?: (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.\d+: /.exec(lines[i]!);
    const inner = /^([0-9a-f]{2}(?::[0-9a-f]{2}){5}) > /.exec(lines[i + 1] ?? '');
    if (!outer || !inner) continue;
    out.push({ host, at: new Date(Number(outer[1]) * 1000).toISOString(), from: outer[2]!, to: outer[3]!, mac: inner[1]!, inner: lines[i + 1]!.trim() });
    i++;
  }
  return out;
}

/** Learned (not permanent / static / extern_learn) rows on a host's `vxlan-*` devices for a non-Neutron, unicast MAC. */
async function kernelForeignRows(host: string): Promise<ForeignSighting[]> {
  const r = await nsRun(hostNs(host), 'bridge', ['-j', 'fdb', 'show']);
  const at = new Date().toISOString();
  return parseBridgeFdb(r.stdout || '[]')
    .filter((f) => f.dev.startsWith('vxlan-') && f.state !== 'permanent' && f.state !== 'static' && !f.flags.includes('extern_learn'))
    .filter((f) => !isNeutronMac(f.mac) && (Number.parseInt(f.mac.slice(0, 2), 16) & 1) === 0 && f.mac !== '00:00:00:00:00:00')
    .map((f) => ({
      host,
      mac: f.mac,
      vtep: f.dst,
      source: 'kernel' as const,
      at,
      detail: `${f.mac} dev ${f.dev}${f.dst ? ` dst ${f.dst}` : ''}${f.master ? ` master ${f.master}` : ''} ${f.flags.join(' ')}`.trim(),
    }));
}

/** One line per leak, for failure messages. */
export function describeLeaks(r: LeakReport): string {
  return [
    ...r.frames.map((f) => `frame ${f.at} from ${f.host} (${f.from} > ${f.to}): ${f.inner}`),
    ...r.foreign.map((f) => `foreign MAC ${f.mac} on ${f.host} from ${f.vtep ?? '?'} (${f.source}, ${f.at}): ${f.detail}`),
  ].join('\n');
}
