/**
 * The node agent: one per hypervisor (docs/l2pop.md#node-state, ARCHITECTURE.md). It collects the node's state with the exact
 * commands of `NODE_COMMANDS`, builds `l2scope.node-snapshot/1` snapshots and publishes them on
 * l2scope's own exchange: a full one on start, every `intervalS` and after every (re)connection, and
 * deltas on change (`ip monitor link neigh` and `bridge monitor fdb` as triggers, debounced; OVS
 * hosts are polled). The BUM meter (`bum-capture.ts`) reports every `bumIntervalS`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  BumFdb,
  type BumReport,
  type DeltaNodeSnapshot,
  type FullNodeSnapshot,
  IANA_VXLAN_PORT,
  LINUX_VXLAN_DEFAULT_PORT,
  buildNodeSnapshot,
  diffNodeSnapshots,
  unavailableBumReport,
} from '@l2scope/domain';
import { BumCapture } from './bum-capture';
import { TriggerMonitor } from './children';
import { CommandActions } from './commands/actions';
import { BackupIndex } from './commands/backups';
import { CommandChannel } from './commands/channel';
import { ReplayCache } from './commands/replay-cache';
import { detectService } from './commands/service';
import { loadCommandKey } from './commands/verify';
import { type AgentType, type CollectConfig, type Collected, collect, commandEnv, defaultIniPaths, detectType } from './collect';
import { type Log, errLine } from './log';
import { ifaceOwning, listAddresses } from './net';
import { NodePublisher } from './publisher';
import { type BumState, StatusFile } from './status';

/** Everything the agent is told (the CLI's options, validated). */
export interface AgentConfig {
  host: string;
  amqpUrl: string;
  /** Seconds between full snapshots. */
  intervalS: number;
  /** Explicit ini files (`--ini`); empty: the type's default path. */
  iniPaths: string[];
  type: AgentType | 'auto';
  ovsDb?: string;
  ovsRundir?: string;
  bum: boolean;
  bumIface?: string;
  bumPort?: number;
  bumIntervalS: number;
  bumBudgetPps: number;
  /** Seconds between change polls (0: monitors only). Default: 5 for OVS, 0 for Linux bridge. */
  pollS?: number;
  /** Quiet time after a change trigger before collecting (ms). */
  debounceMs?: number;
  /**
   * `--status-file`: JSON status rewritten (atomically) after every broker-confirmed publish and
   * on broker disconnects, for a container health check (see `status.ts`). Unset: no file.
   */
  statusFile?: string;
  /**
   * `--command-public-key`: the worker's Ed25519 public key (PEM SPKI or JWK file) that signs agent
   * commands. Unset: the agent is read-only (it refuses every command `read_only`).
   */
  commandPublicKey?: string;
  /** `--state-dir`: the replay cache and the index of ini backups (default /var/lib/l2scope-agent). */
  stateDir?: string;
  /** `--restart-command` / `--stop-command` / `--start-command`: how to run the Neutron agent (argv strings, no shell). */
  restartCommand?: string;
  stopCommand?: string;
  startCommand?: string;
  log: Log;
}

/** Default `--state-dir`. */
export const DEFAULT_STATE_DIR = '/var/lib/l2scope-agent';

/** What a publish cycle did (for logs and tests). */
export type CycleResult = { kind: 'full' | 'delta'; seq: number; confirmed: boolean; sections: string[] } | { kind: 'none' };

const MAX_WAIT_MS = 2000;
const MIN_GAP_MS = 300;

/** A running node agent. */
export class NodeAgent {
  readonly instance = randomBytes(8).toString('hex');
  type: AgentType = 'linuxbridge';
  private iniPaths: string[] = [];
  private publisher: NodePublisher | null = null;
  private last: FullNodeSnapshot | null = null;
  private seq = 0;
  private needFull = true;
  private monitors: TriggerMonitor[] = [];
  private timers: NodeJS.Timeout[] = [];
  private debounce: NodeJS.Timeout | null = null;
  private firstTriggerAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private lastCycleEnd = 0;
  private stopped = false;
  private bum: BumCapture | null = null;
  private bumUnavailable: { reason: string; iface: string; port: number; vtep: string | null; from: number } | null = null;
  private bumIface: string | null = null;
  private readonly status: StatusFile | null;
  private commands: CommandChannel | null = null;
  private cpuMark: { usage: NodeJS.CpuUsage; at: number; tcpdump: { pid: number; ticks: number } | null } = {
    usage: process.cpuUsage(),
    at: Date.now(),
    tcpdump: null,
  };
  /** Counters for logs and tests. */
  readonly counters = { fulls: 0, deltas: 0, unchanged: 0, triggers: 0, bumReports: 0 };

  constructor(private readonly cfg: AgentConfig) {
    this.status = cfg.statusFile ? new StatusFile(cfg.statusFile, { host: cfg.host, instance: this.instance, intervalS: cfg.intervalS }, cfg.log) : null;
  }

  private get log(): Log {
    return this.cfg.log;
  }

  private collectConfig(): CollectConfig {
    return { type: this.type, iniPaths: this.iniPaths, ovsDb: this.cfg.ovsDb, ovsRundir: this.cfg.ovsRundir };
  }

  /** Decide the agent type and ini files (`--type auto`). */
  async resolveType(): Promise<void> {
    if (this.cfg.type === 'auto') {
      const d = await detectType(this.cfg.iniPaths);
      this.type = d.type;
      this.log(`agent: type ${d.type} (${d.why})`);
    } else this.type = this.cfg.type;
    this.iniPaths = this.cfg.iniPaths.length ? this.cfg.iniPaths : defaultIniPaths(this.type);
  }

  /** Collect once and build a full snapshot with the next sequence number (not published, seq not committed). */
  async snapshot(): Promise<{ collected: Collected; snapshot: FullNodeSnapshot }> {
    const collected = await collect(this.collectConfig());
    const snapshot = buildNodeSnapshot({
      host: this.cfg.host,
      instance: this.instance,
      seq: this.seq + 1,
      takenAt: collected.takenAt,
      raw: collected.raw,
      agentType: this.type,
      errors: collected.errors,
    });
    return { collected, snapshot };
  }

  /** Connect (in the background), publish the first full, start monitors, timers and the BUM meter. */
  async start(): Promise<void> {
    await this.resolveType();
    this.log(
      `agent: host ${this.cfg.host}, instance ${this.instance}, ini ${this.iniPaths.join(', ')}, full snapshot every ${this.cfg.intervalS} s${this.status ? `, status file ${this.status.file}` : ''}`,
    );
    await this.status?.reset();
    await this.startCommands();
    this.publisher = new NodePublisher({
      url: this.cfg.amqpUrl,
      host: this.cfg.host,
      instance: this.instance,
      log: this.log,
      onModel: (model) => void this.commands?.attach(model),
      onConnected: async () => {
        // after a reconnection the worker gets a full snapshot first; on the first connection only
        // when the start snapshot could not be sent yet
        const again = (this.publisher?.stats.connects ?? 1) > 1;
        if (again) this.needFull = true;
        await this.enqueue(again ? 'reconnected' : 'connected', again);
      },
      onDisconnected: () => void this.status?.connection(false, this.bumState()),
    });
    await this.publisher.start();
    await this.enqueue('start', true);

    const env = commandEnv(this.cfg);
    if (this.type === 'linuxbridge') {
      this.monitors = [
        new TriggerMonitor(['ip', 'monitor', 'link', 'neigh'], (l) => this.trigger(l), this.log, env),
        new TriggerMonitor(['bridge', 'monitor', 'fdb'], (l) => this.trigger(l), this.log, env),
      ];
      for (const m of this.monitors) m.start();
    }
    const pollS = this.cfg.pollS ?? (this.type === 'openvswitch' ? 5 : 0);
    if (pollS > 0) {
      this.timers.push(setInterval(() => void this.enqueue('poll', false), pollS * 1000));
      this.log(`agent: polling for changes every ${pollS} s`);
    }
    this.timers.push(
      setInterval(() => {
        void this.enqueue('interval', true).then(() => this.logStats());
      }, this.cfg.intervalS * 1000),
    );
    if (this.cfg.bum) await this.startBum();
    else this.log('bum: disabled (--no-bum)');
  }

  /**
   * The command channel: the key, the state directory (replay cache, backups) and how the Neutron
   * agent runs. Read-only without a key (nothing else is set up then).
   * @throws Error when the key file or the state directory is unusable (the agent must not start
   *   accepting commands it cannot check)
   */
  private async startCommands(): Promise<void> {
    const cfg = this.cfg;
    const key = cfg.commandPublicKey ? await loadCommandKey(cfg.commandPublicKey) : null;
    let actions: CommandActions | null = null;
    let replay: ReplayCache | null = null;
    if (key) {
      const dir = cfg.stateDir ?? DEFAULT_STATE_DIR;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      replay = new ReplayCache(path.join(dir, 'replay-cache.json'));
      await replay.load(Math.floor(Date.now() / 1000));
      const backups = new BackupIndex(path.join(dir, 'backups.json'));
      await backups.load();
      const env = commandEnv(cfg);
      const service = await detectService(this.type, { restart: cfg.restartCommand, stop: cfg.stopCommand, start: cfg.startCommand }, env);
      actions = new CommandActions({ host: cfg.host, type: this.type, iniPaths: this.iniPaths, service, backups, env });
      this.log(
        `commands: signed commands accepted (key ${cfg.commandPublicKey}), state in ${dir}, Neutron agent: ${service.info.method}${service.info.name ? ` ${service.info.name}` : ''}${service.canStopStart ? ', stop/start known' : ''}`,
      );
    } else this.log('commands: no --command-public-key: read-only, every command is refused');
    this.commands = new CommandChannel({
      host: cfg.host,
      key,
      actions,
      replay,
      log: this.log,
      publishReply: (r) => this.publisher?.publishReply(r) ?? Promise.resolve(false),
      onStatus: (st) => void this.status?.commands(st),
      currentModel: () => this.publisher?.channelModel ?? null,
    });
    void this.status?.commands(this.commands.status);
  }

  /**
   * `--once`: connect, publish one full snapshot, wait for the broker's confirm, close.
   * @returns true when confirmed
   */
  async runOnce(timeoutMs: number): Promise<boolean> {
    await this.resolveType();
    await this.status?.reset();
    this.publisher = new NodePublisher({ url: this.cfg.amqpUrl, host: this.cfg.host, instance: this.instance, log: this.log });
    await this.publisher.start();
    try {
      if (!(await this.publisher.waitConnected(timeoutMs))) {
        this.log(`agent: no broker within ${timeoutMs / 1000} s`);
        return false;
      }
      const r = await this.cycle('once', true);
      return r.kind === 'full' && r.confirmed;
    } finally {
      this.stopped = true;
      await this.publisher.close();
    }
  }

  /** A monitor printed a line: collect soon (debounced: 300 ms of quiet, at most 2 s after the first line). */
  private trigger(_line: string): void {
    if (this.stopped) return;
    this.counters.triggers++;
    const now = Date.now();
    if (this.debounce) {
      if (now - this.firstTriggerAt >= MAX_WAIT_MS) return; // fires soon anyway
      clearTimeout(this.debounce);
    } else this.firstTriggerAt = now;
    const wait = Math.min(this.cfg.debounceMs ?? 300, Math.max(0, this.firstTriggerAt + MAX_WAIT_MS - now));
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.enqueue('change', false);
    }, wait);
  }

  /**
   * Run a cycle after the ones already queued (never two at once). A change cycle is skipped when
   * another one is already waiting (it will see the same state).
   */
  enqueue(reason: string, full: boolean): Promise<CycleResult> {
    if (!full && this.queued > 0) return Promise.resolve({ kind: 'none' });
    this.queued++;
    const p = this.chain.then(async () => {
      this.queued--;
      const gap = this.lastCycleEnd + MIN_GAP_MS - Date.now();
      if (!full && gap > 0) await new Promise((r) => setTimeout(r, gap));
      if (this.stopped) return { kind: 'none' } as CycleResult;
      try {
        return await this.cycle(reason, full);
      } catch (e) {
        this.log(`agent: ${reason} cycle failed: ${errLine(e)}`);
        return { kind: 'none' } as CycleResult;
      } finally {
        this.lastCycleEnd = Date.now();
      }
    });
    this.chain = p;
    return p;
  }

  private async cycle(reason: string, forceFull: boolean): Promise<CycleResult> {
    const { collected, snapshot: next } = await this.snapshot();
    this.bum?.setFdb(BumFdb.fromSnapshot(next));
    const pub = this.publisher!;
    if (forceFull || this.needFull || !this.last) {
      this.seq = next.seq;
      this.last = next;
      const confirmed = await pub.publishSnapshot(next);
      this.needFull = !confirmed;
      this.counters.fulls++;
      if (confirmed) await this.status?.snapshotConfirmed('full', next.seq, this.bumState());
      this.log(
        `snapshot: full seq ${next.seq} (${reason}) ${describe(next)}${next.errors.length ? `, errors: ${next.errors.map((e) => e.source).join(',')}` : ''} in ${collected.durationMs} ms, ${confirmed ? 'confirmed' : pub.connected ? 'NOT confirmed' : 'kept until the broker is back'}`,
      );
      return { kind: 'full', seq: next.seq, confirmed, sections: ['all'] };
    }
    const delta = diffNodeSnapshots(this.last, next);
    const sections = deltaSections(delta);
    const sameProblems = JSON.stringify([this.last.errors, this.last.truncated]) === JSON.stringify([next.errors, next.truncated]);
    if (sections.length === 0 && sameProblems) {
      this.counters.unchanged++;
      return { kind: 'none' };
    }
    this.seq = next.seq;
    this.last = next;
    const confirmed = await pub.publishSnapshot(delta);
    if (!confirmed) this.needFull = true;
    this.counters.deltas++;
    if (confirmed) await this.status?.snapshotConfirmed('delta', delta.seq, this.bumState());
    this.log(
      `snapshot: delta seq ${delta.seq} base ${delta.baseSeq} (${reason}) ${sections.join(',') || 'errors'} ${confirmed ? 'confirmed' : 'not sent: a full follows'}`,
    );
    return { kind: 'delta', seq: delta.seq, confirmed, sections };
  }

  /** The latest published (or kept) state. */
  get state(): FullNodeSnapshot | null {
    return this.last;
  }

  /** The BUM meter's state, for the status file. */
  bumState(): BumState {
    if (!this.cfg.bum) return { state: 'disabled', reason: null, iface: null };
    if (this.bumUnavailable) return { state: 'unavailable', reason: this.bumUnavailable.reason, iface: null };
    if (!this.bum || this.bum.unavailable === 'starting') return { state: 'starting', reason: null, iface: this.bumIface };
    const why = this.bum.unavailable;
    return why === null ? { state: 'capturing', reason: null, iface: this.bumIface } : { state: 'unavailable', reason: why, iface: this.bumIface };
  }

  private async startBum(): Promise<void> {
    const ini = this.last?.agent.ini ?? null;
    const vtep = ini?.localIp ?? null;
    const vx = this.last?.linuxbridge?.vxlan.find((d) => d.vni !== null);
    const port = this.cfg.bumPort ?? ini?.udpPort ?? vx?.dstport ?? (this.type === 'openvswitch' ? IANA_VXLAN_PORT : LINUX_VXLAN_DEFAULT_PORT);
    const ifaces = await listAddresses(commandEnv(this.cfg));
    let iface = this.cfg.bumIface;
    let why = '--bum-iface';
    if (!iface && vtep) {
      iface = ifaceOwning(ifaces, vtep)?.ifname;
      why = `holds local_ip ${vtep}`;
    }
    if (!iface && vx?.link) {
      iface = vx.link;
      why = `underlay of ${vx.name}`;
    }
    if (!iface) {
      const reason = vtep ? `no interface holds local_ip ${vtep}: pass --bum-iface` : 'no local_ip in the agent ini: pass --bum-iface';
      this.log(`bum: unavailable (${reason})`);
      this.bumUnavailable = { reason, iface: '-', port, vtep, from: Date.now() };
      this.timers.push(setInterval(() => this.publishUnavailableBum(), this.cfg.bumIntervalS * 1000));
      return;
    }
    this.bumIface = iface;
    const local = ifaces.find((i) => i.ifname === iface)?.addresses ?? [];
    this.log(
      `bum: interface ${iface} (${why}), vtep ${vtep ?? '?'}, udp port ${port}, report every ${this.cfg.bumIntervalS} s, budget ${this.cfg.bumBudgetPps} pps`,
    );
    this.bum = new BumCapture({
      host: this.cfg.host,
      instance: this.instance,
      iface,
      udpPort: port,
      vtep: vtep ?? local[0] ?? null,
      localAddresses: local,
      intervalS: this.cfg.bumIntervalS,
      budgetPps: this.cfg.bumBudgetPps,
      env: commandEnv(this.cfg),
      log: this.log,
      onReport: (r) => this.publishBum(r),
    });
    if (this.last) this.bum.setFdb(BumFdb.fromSnapshot(this.last));
    this.bum.start();
    // addresses may change (VTEP readdressed): refresh with every full snapshot
    this.timers.push(
      setInterval(() => {
        void listAddresses(commandEnv(this.cfg)).then((all) => {
          const mine = all.find((i) => i.ifname === iface)?.addresses;
          if (mine) this.bum?.setLocal(this.last?.agent.ini?.localIp ?? vtep ?? mine[0] ?? null, mine);
        });
      }, this.cfg.intervalS * 1000),
    );
  }

  private publishUnavailableBum(): void {
    const u = this.bumUnavailable;
    if (!u) return;
    const now = Date.now();
    const r = unavailableBumReport({
      host: this.cfg.host,
      instance: this.instance,
      vtep: u.vtep,
      iface: u.iface,
      udpPort: u.port,
      fromMs: u.from,
      toMs: now,
      reason: u.reason,
    });
    u.from = now;
    void this.publishBum(r);
  }

  private async publishBum(r: BumReport): Promise<void> {
    this.counters.bumReports++;
    const arp = r.flows.reduce((n, f) => n + f.arp, 0);
    const bum = r.flows.reduce((n, f) => n + f.broadcast + f.multicast + f.unknownUnicast, 0);
    const ok = this.publisher ? await this.publisher.publishBum(r) : false;
    if (ok) await this.status?.bumConfirmed(this.bumState());
    if (r.unavailable || arp > 0 || bum > 0 || r.captureDropped || r.sampled < 1) {
      this.log(
        `bum: ${r.seconds.toFixed(1)} s ${r.unavailable ? `unavailable (${r.unavailable}) ` : ''}captured ${r.captured}, BUM ${fmt(bum)}, ARP ${fmt(arp)}, flows ${r.flows.length}${r.sampled < 1 ? `, sampled ${(r.sampled * 100).toFixed(1)}%` : ''}${r.captureDropped ? `, kernel dropped ${r.captureDropped}` : ''}${ok ? '' : ' (kept until the broker is back)'}`,
      );
    }
  }

  /** A `stats:` line: own CPU since the last one, RSS, tcpdump's CPU, publish counters. */
  logStats(): void {
    const now = Date.now();
    const usage = process.cpuUsage(this.cpuMark.usage);
    const wallMs = Math.max(1, now - this.cpuMark.at);
    const cpuPct = ((usage.user + usage.system) / 1000 / wallMs) * 100;
    let tcpdump = '';
    let mark: { pid: number; ticks: number } | null = null;
    const pid = this.bum?.pid;
    if (pid) {
      const ticks = procTicks(pid);
      if (ticks !== null) {
        const prev = this.cpuMark.tcpdump;
        // CLK_TCK is 100 on Linux: one tick = 10 ms
        const pct = prev && prev.pid === pid ? ((ticks - prev.ticks) * 10 * 100) / wallMs : null;
        tcpdump = `, tcpdump cpu ${pct === null ? 'n/a (new)' : `${pct.toFixed(2)}%`} rss ${procRssMb(pid)?.toFixed(1) ?? '?'} MB`;
        mark = { pid, ticks };
      }
    }
    this.cpuMark = { usage: process.cpuUsage(), at: now, tcpdump: mark };
    const s = this.publisher?.stats;
    this.log(
      `stats: cpu ${cpuPct.toFixed(2)}% rss ${(process.memoryUsage().rss / 1048576).toFixed(1)} MB${tcpdump}, fulls ${this.counters.fulls} deltas ${this.counters.deltas} bum ${this.counters.bumReports}, published ${s?.published ?? 0} failed ${s?.failed ?? 0}`,
    );
  }

  /** Stop monitors, tcpdump (by PID), timers; send the last BUM report; close AMQP. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.debounce) clearTimeout(this.debounce);
    await Promise.all(this.monitors.map((m) => m.stop()));
    await this.bum?.stop();
    await Promise.race([this.chain.catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
    await this.commands?.close();
    await this.publisher?.close();
  }
}

/** Names of the sections a delta carries. */
export function deltaSections(d: DeltaNodeSnapshot): string[] {
  const out: string[] = [];
  if (d.agent) out.push('agent');
  if (d.linuxbridge === null) out.push('linuxbridge=null');
  else if (d.linuxbridge) out.push(...Object.keys(d.linuxbridge).map((k) => `linuxbridge.${k}`));
  if (d.openvswitch === null) out.push('openvswitch=null');
  else if (d.openvswitch) out.push(...Object.keys(d.openvswitch).map((k) => `openvswitch.${k}`));
  return out;
}

function describe(s: FullNodeSnapshot): string {
  if (s.linuxbridge)
    return `(fdb ${s.linuxbridge.fdb.length}, neigh ${s.linuxbridge.neigh.length}, vxlan ${s.linuxbridge.vxlan.length}, bridges ${s.linuxbridge.bridges.length})`;
  if (s.openvswitch)
    return `(tunnel ports ${s.openvswitch.tunnelPorts.length}, br-tun ${s.openvswitch.brTun ? `${s.openvswitch.brTun.unicast.length} unicast, ${s.openvswitch.brTun.flood.length} flood, ${s.openvswitch.brTun.responder.length} responder` : 'unreadable'})`;
  return '';
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function procTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

function procRssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
