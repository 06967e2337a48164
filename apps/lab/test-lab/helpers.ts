/**
 * Helpers of the real-lab suite: run the lab CLI as a user would, read what neutron-server's API
 * says, what the kernels hold and what l2scope's worker models, and compare them.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import {
  ClusterModel,
  type FindingView,
  type HostConvergence,
  type NodeAnalysis,
  l2popFdbRows,
  linuxBridgeNames,
  permanentNeighRows,
  type ModelSnapshot,
} from '@l2scope/domain';
import { listAgents, listPorts, type NeutronPort } from '../src/api';
import { readHostKernel } from '../src/kernel';
import { compareKernel, expectedKernel } from '../src/kernel';
import { REPO_ROOT, fetchModel, startWorker, workerAvailable, workerHeaders } from '../src/l2scope';
import { stopDaemon } from '../src/procs';
import { loadState, type LabState } from '../src/state';

/** Run `npm run lab -- <args>` equivalent (tsx on the CLI), returning its stdout; throws with its output on failure. */
export async function lab(...args: string[]): Promise<string> {
  const r = await execa('npx', ['tsx', path.join(REPO_ROOT, 'apps/lab/src/main.ts'), ...args], { cwd: REPO_ROOT, reject: false, all: true, timeout: 900_000 });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return String(r.stdout);
}

/** Run `npm run lab -- <args>` equivalent without throwing: its exit code and output (stdout and stderr interleaved). */
export async function labResult(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await execa('npx', ['tsx', path.join(REPO_ROOT, 'apps/lab/src/main.ts'), ...args], { cwd: REPO_ROOT, reject: false, all: true, timeout: 900_000 });
  return { code: r.exitCode ?? -1, out: String(r.all) };
}

/** The lab state (throws when no lab is up). */
export function state(): LabState {
  const s = loadState();
  if (!s) throw new Error('no lab state');
  return s;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** What the three sources say at one moment, and where they disagree. */
export interface Comparison {
  problems: string[];
  /** Per host, the kernel's l2pop FDB rows (`mac dst vtep`). */
  kernelFdb: Record<string, string[]>;
  kernelNeigh: Record<string, string[]>;
  ports: NeutronPort[];
  model: ModelSnapshot;
}

const sorted = (a: string[]) => [...a].sort();

/**
 * Compare, for the lab's network:
 * 1. l2scope's model vs neutron-server's API: every lab host is a named model host with its VTEP
 *    and reported l2_population; the model's per-VTEP MACs / IP->MAC equal the ACTIVE ports of the
 *    API bound to that VTEP's host (flood entry on for each VTEP with ports);
 * 2. what the model says the server told each Linux bridge host (`toldFdb`) vs the kernel:
 *    permanent FDB rows on vxlan-<VNI> (only when the host applies l2pop) and, with the ARP
 *    responder, PERMANENT neighbour rows;
 * 3. the kernel vs the expectation for the host's mode derived from the API alone (kernel.ts).
 */
export async function compareAll(w: ModelSource): Promise<Comparison> {
  const s = state();
  const problems: string[] = [];
  const [ports, agents, snap] = await Promise.all([listPorts(s.networkId!), listAgents(), w.snapshot()]);
  const model = ClusterModel.fromSnapshot(snap);
  const active = ports.filter((p) => p.status === 'ACTIVE');
  const dev = linuxBridgeNames.vxlan(s.vni);
  for (const v of Object.values(s.vms)) {
    const p = ports.find((x) => x.id === v.portId);
    if (p?.status !== 'ACTIVE') problems.push(`api: port of ${v.name} is ${p?.status ?? 'missing'}`);
  }
  // 1. model vs API
  for (const h of Object.values(s.hosts)) {
    const mh = model.host(h.name);
    const a = agents.find((x) => x.host === h.name);
    if (!mh) {
      problems.push(`model: no host ${h.name}`);
      continue;
    }
    if (mh.vtep !== h.underlayIp) problems.push(`model: ${h.name} vtep ${mh.vtep} != ${h.underlayIp}`);
    if (a && mh.l2population !== (a.configurations.l2_population ?? null))
      problems.push(`model: ${h.name} l2population ${mh.l2population} != api ${a.configurations.l2_population}`);
    const mine = active.filter((p) => p['binding:host_id'] === h.name);
    const e = model.vtepEntries(s.networkId!, h.underlayIp);
    const macs = sorted(mine.map((p) => p.mac_address.toLowerCase()));
    const neigh = sorted(mine.flatMap((p) => p.fixed_ips.map((f) => `${f.ip_address}=${p.mac_address.toLowerCase()}`)));
    const mMacs = sorted(e?.macs ?? []);
    const mNeigh = sorted(Object.entries(e?.neigh ?? {}).map(([ip, mac]) => `${ip}=${mac}`));
    if (JSON.stringify(macs) !== JSON.stringify(mMacs)) problems.push(`model: ${h.name} ports ${mMacs.join(',')} != api ${macs.join(',')}`);
    if (JSON.stringify(neigh) !== JSON.stringify(mNeigh)) problems.push(`model: ${h.name} ip/mac ${mNeigh.join(',')} != api ${neigh.join(',')}`);
    if ((e?.flood ?? false) !== mine.length > 0) problems.push(`model: ${h.name} flood ${e?.flood ?? false} but ${mine.length} ACTIVE ports`);
  }
  // 2 + 3. model told vs kernel, API expectation vs kernel
  const kernelFdb: Record<string, string[]> = {};
  const kernelNeigh: Record<string, string[]> = {};
  for (const h of Object.values(s.hosts).filter((x) => x.kind === 'linuxbridge')) {
    const k = await readHostKernel(h, s.vni);
    const fdb = sorted(l2popFdbRows(k.fdb, dev).map((r) => `${r.mac} dst ${r.dst}`));
    const neigh = sorted(permanentNeighRows(k.neigh, dev).map((r) => `${r.ip} lladdr ${r.mac}`));
    kernelFdb[h.name] = fdb;
    kernelNeigh[h.name] = neigh;
    const told = model.toldFdb(h.name).filter((n) => n.vni === s.vni);
    const applies = h.mode.l2pop;
    const toldFdb = applies ? sorted(told.flatMap((n) => n.fdb.map((r) => `${r.mac} dst ${r.vtep}`))) : [];
    const toldNeigh = applies && h.mode.arp ? sorted(told.flatMap((n) => n.neigh.map((r) => `${r.ip} lladdr ${r.mac}`))) : [];
    if (JSON.stringify(toldFdb) !== JSON.stringify(fdb))
      problems.push(`told!=kernel fdb on ${h.name}: told [${toldFdb.join('; ')}] kernel [${fdb.join('; ')}]`);
    if (JSON.stringify(toldNeigh) !== JSON.stringify(neigh))
      problems.push(`told!=kernel neigh on ${h.name}: told [${toldNeigh.join('; ')}] kernel [${neigh.join('; ')}]`);
    const exp = expectedKernel(h.name, h.mode, s.hosts, ports);
    if (exp) problems.push(...compareKernel(exp, k).map((d) => `api!=kernel: ${d}`));
  }
  return { problems, kernelFdb, kernelNeigh, ports, model: snap };
}

/**
 * Poll {@link compareAll} until there is no problem (all three sources agree) or `timeoutMs`.
 * @returns the agreeing comparison and how long it took
 * @throws Error listing the remaining problems
 */
export async function converge(w: ModelSource, label: string, timeoutMs = 45_000): Promise<Comparison & { ms: number }> {
  const t0 = Date.now();
  let last: Comparison | null = null;
  for (;;) {
    try {
      last = await compareAll(w);
      if (last.problems.length === 0) return { ...last, ms: Date.now() - t0 };
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${label}: no agreement after ${timeoutMs} ms:\n  ${last?.problems.join('\n  ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Where the suite reads l2scope's model from. */
export interface ModelSource {
  snapshot(): Promise<ModelSnapshot>;
  /** The worker's host view (`GET /api/nodes`): the latest told-vs-held analysis, open findings, lags. */
  nodes(): Promise<NodesView>;
  stop(): Promise<void>;
}

/** `GET /api/nodes` of the worker. */
export interface NodesView {
  analysis: NodeAnalysis | null;
  findings: FindingView[];
  convergence: HostConvergence[];
  hosts: string[];
}

/**
 * Poll the worker's node view until `check` returns a value (the analysis agrees) or `timeoutMs`.
 * @throws Error with the last analysis' drift and findings
 */
export async function untilNodes<T>(w: ModelSource, label: string, check: (v: NodesView) => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: NodesView | null = null;
  for (;;) {
    last = await w.nodes().catch(() => last);
    const r = last ? check(last) : null;
    if (r) return r;
    if (Date.now() - t0 > timeoutMs) {
      const drift = Object.entries(last?.analysis?.hosts ?? {}).map(
        ([h, a]) =>
          `${h}: ${a.mode.summary}; ${a.drift.map((d) => `${d.class} ${d.mac} ${d.vtep}`).join(', ') || 'no drift'}${(a.foreignMacs ?? []).map((f) => `; foreign_mac ${f.mac} ${f.vtep}`).join('')}`,
      );
      throw new Error(
        `${label}: not seen after ${timeoutMs} ms\n  ${drift.join('\n  ')}\n  findings: ${(last?.findings ?? []).map((f) => `${f.kind} ${f.hosts.join(',')}`).join('; ') || 'none'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The model source of the suite: l2scope's worker tapping the lab's broker.
 * @param dbUrl the worker's database (a throwaway SQLite file)
 * @param extraArgs more worker flags (`--command-key <file>`, `--toggle-deadline <s>`)
 */
export async function startModelSource(amqpUrl: string, dbUrl: string, extraArgs: readonly string[] = []): Promise<ModelSource & { kind: string }> {
  if (!workerAvailable()) throw new Error("apps/worker/src/main.ts is missing: the suite taps the lab with l2scope's worker");
  const w = await startWorker(amqpUrl, await freePort(), dbUrl, extraArgs);
  return {
    kind: `l2scope worker (pid ${w.proc.pid}, ${w.baseUrl})`,
    snapshot: () => fetchModel(w),
    nodes: async () => {
      const r = await fetch(`${w.baseUrl}/api/nodes`, { headers: workerHeaders(w), signal: AbortSignal.timeout(5000) });
      if (!r.ok) throw new Error(`GET /api/nodes: ${r.status}`);
      return (await r.json()) as NodesView;
    },
    stop: async () => void (await stopDaemon(w.proc)),
  };
}
