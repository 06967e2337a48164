/**
 * Support bundles: a node's raw command outputs as files, named like the snapshot directories of
 * `fixtures/` (`<host>-bridge-fdb.json`, ...), so a directory may hold several hosts. Pure: the
 * caller reads / writes the files; these functions map `{file name: content}` to and from
 * {@link RawNodeOutputs} and {@link FullNodeSnapshot}s.
 *
 * | file | raw output | command ({@link NODE_COMMANDS}) |
 * |---|---|---|
 * | `<host>-bridge-fdb.json` | bridgeFdb | `bridge -j fdb show` |
 * | `<host>-ip-neigh.json` | ipNeigh | `ip -j neigh show` |
 * | `<host>-ip-link-vxlan.json` | ipLinkVxlan | `ip -j -d link show type vxlan` |
 * | `<host>-ip-link-bridge.json` | ipLinkBridge | `ip -j link show type bridge` |
 * | `<host>-bridge-link.json` | bridgeLink | `bridge -j link show` |
 * | `<host>-ovs-vsctl.json` | ovsVsctl | `ovs-vsctl --format=json --columns=name,ofport,type,options list Interface` |
 * | `<host>-flows-br-tun.txt` | flowsBrTun | `ovs-ofctl --no-names dump-flows br-tun` |
 * | `<host>-flows-br-int.txt` | flowsBrInt | `ovs-ofctl --no-names dump-flows br-int` |
 * | `<host>-ovs-vsctl-show.txt` | ovsVsctlShow | `ovs-vsctl show` |
 * | `<host>-ip-link.json` | ipLinkDetails | `ip -j -d link show` |
 * | `<host>-qrouter-neigh.json` | qrouterNeigh | `ip -n qrouter-<id> -j neigh show nud permanent` per router namespace (dvr/neigh.ts) |
 * | `<host>-agent.ini` | agentIni | the agent's ini file |
 * | `<host>-meta.json` | — | `{"schema": "l2scope.bundle-meta/1", "host", "takenAt": ISO-8601, "agentType"}` |
 *
 * Other files (`*.txt` renderings, `vm-*` files of the fixtures) are ignored. A host is only taken
 * when it has at least one of: bridge-fdb, ip-link-vxlan, ovs-vsctl, flows-br-tun, ovs-vsctl-show,
 * agent.ini or meta (the fixtures' `vm-<host>-ip-neigh.json` alone does not make a host).
 */
import { z } from 'zod';
import type { RawNodeOutputs, RawOutputName } from './commands';
import { type FullNodeSnapshot, buildNodeSnapshot } from './snapshot';
import { compareText } from './util';

/** File name suffix of each raw output. */
export const BUNDLE_SUFFIXES: Record<RawOutputName, string> = {
  bridgeFdb: '-bridge-fdb.json',
  ipNeigh: '-ip-neigh.json',
  ipLinkVxlan: '-ip-link-vxlan.json',
  ipLinkBridge: '-ip-link-bridge.json',
  bridgeLink: '-bridge-link.json',
  ovsVsctl: '-ovs-vsctl.json',
  flowsBrTun: '-flows-br-tun.txt',
  flowsBrInt: '-flows-br-int.txt',
  ovsVsctlShow: '-ovs-vsctl-show.txt',
  ipLinkDetails: '-ip-link.json',
  agentIni: '-agent.ini',
  qrouterNeigh: '-qrouter-neigh.json',
};
/** Suffix of the optional per-host metadata file. */
export const BUNDLE_META_SUFFIX = '-meta.json';
export const BUNDLE_META_SCHEMA = 'l2scope.bundle-meta/1';

const ANCHORS: RawOutputName[] = ['bridgeFdb', 'ipLinkVxlan', 'ovsVsctl', 'flowsBrTun', 'ovsVsctlShow', 'agentIni'];

const metaSchema = z.object({
  schema: z.literal(BUNDLE_META_SCHEMA),
  host: z.string().min(1),
  takenAt: z.iso.datetime({ offset: true }).optional(),
  agentType: z.enum(['linuxbridge', 'openvswitch']).optional(),
});

/** Per-host metadata of a bundle. */
export type BundleMeta = z.infer<typeof metaSchema>;

/** The bundle file name of one raw output of `host`. */
export function bundleFileName(host: string, output: RawOutputName): string {
  return `${host}${BUNDLE_SUFFIXES[output]}`;
}

/**
 * The files of one host's bundle (only the outputs present), plus `<host>-meta.json`.
 * @param meta when the outputs were taken (epoch ms) and the agent type, if known
 */
export function bundleFiles(
  host: string,
  raw: RawNodeOutputs,
  meta: { takenAt?: number; agentType?: 'linuxbridge' | 'openvswitch' } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(BUNDLE_SUFFIXES) as RawOutputName[]) {
    const v = raw[k];
    if (v !== undefined) out[bundleFileName(host, k)] = v;
  }
  const m: BundleMeta = { schema: BUNDLE_META_SCHEMA, host };
  if (meta.takenAt !== undefined) m.takenAt = new Date(meta.takenAt).toISOString();
  if (meta.agentType) m.agentType = meta.agentType;
  out[`${host}${BUNDLE_META_SUFFIX}`] = `${JSON.stringify(m, null, 2)}\n`;
  return out;
}

/** Raw outputs per host found in a bundle, the metadata files, and the files not used. */
export interface BundleContents {
  hosts: Record<string, { raw: RawNodeOutputs; meta: BundleMeta | null }>;
  ignored: string[];
  errors: { file: string; error: string }[];
}

/** Group a bundle's files by host (see the module comment for names). Never throws. */
export function readBundle(files: Record<string, string>): BundleContents {
  const suffixes = (Object.entries(BUNDLE_SUFFIXES) as [RawOutputName, string][]).sort((a, b) => b[1].length - a[1].length);
  const byHost = new Map<string, { raw: RawNodeOutputs; meta: BundleMeta | null; anchored: boolean; files: string[] }>();
  const ignored: string[] = [];
  const errors: { file: string; error: string }[] = [];
  const entry = (host: string) => {
    let e = byHost.get(host);
    if (!e) {
      e = { raw: {}, meta: null, anchored: false, files: [] };
      byHost.set(host, e);
    }
    return e;
  };
  for (const file of Object.keys(files).sort()) {
    const base = file.split('/').pop()!;
    if (base.endsWith(BUNDLE_META_SUFFIX) && base.length > BUNDLE_META_SUFFIX.length) {
      const host = base.slice(0, -BUNDLE_META_SUFFIX.length);
      try {
        const meta = metaSchema.parse(JSON.parse(files[file]!));
        const e = entry(host);
        e.meta = meta;
        e.anchored = true;
        e.files.push(file);
      } catch (err) {
        errors.push({ file, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
      }
      continue;
    }
    const hit = suffixes.find(([, suf]) => base.endsWith(suf) && base.length > suf.length);
    if (!hit) {
      ignored.push(file);
      continue;
    }
    const [output, suf] = hit;
    const e = entry(base.slice(0, -suf.length));
    e.raw[output] = files[file]!;
    e.files.push(file);
    if (ANCHORS.includes(output)) e.anchored = true;
  }
  const hosts: BundleContents['hosts'] = {};
  for (const [host, e] of [...byHost].sort(([a], [b]) => compareText(a, b))) {
    if (e.anchored) hosts[e.meta?.host ?? host] = { raw: e.raw, meta: e.meta };
    else ignored.push(...e.files);
  }
  return { hosts, ignored: ignored.sort(), errors };
}

/**
 * Node snapshots (full, `seq` 1, `instance` "bundle") from a bundle's files.
 * @param opts.takenAt epoch ms to use when a host has no meta file (default 0)
 */
export function snapshotsFromBundle(
  files: Record<string, string>,
  opts: { takenAt?: number } = {},
): { snapshots: FullNodeSnapshot[]; ignored: string[]; errors: { file: string; error: string }[] } {
  const b = readBundle(files);
  const snapshots = Object.entries(b.hosts).map(([host, { raw, meta }]) =>
    buildNodeSnapshot({
      host,
      instance: 'bundle',
      seq: 1,
      takenAt: meta?.takenAt ? Date.parse(meta.takenAt) : (opts.takenAt ?? 0),
      raw,
      ...(meta?.agentType ? { agentType: meta.agentType } : {}),
    }),
  );
  return { snapshots, ignored: b.ignored, errors: b.errors };
}
