/**
 * The BUM meter's capture side: `tcpdump -i <iface> -p -nn -U -s 160 -w - 'udp and dst port <port>'`
 * (every VXLAN packet, sent or received, has the VXLAN port as its UDP destination), its pcap stream
 * decoded incrementally by the pure `PcapStreamReader` + `BumMeter` of @l2scope/domain, one
 * `BumReport` every interval. tcpdump is asked for its counters with SIGUSR1 before each report
 * ("dropped by kernel" -> `captureDropped`). When tcpdump is missing or dies, reports carry
 * `unavailable` and tcpdump is restarted with backoff; the agent never crashes for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BumFdb, BumMeter, type BumReport, PcapStreamReader, parseTcpdumpStats } from '@l2scope/domain';
import { stopChild } from './children';
import { which } from './exec';
import { type Log, errLine } from './log';

/** Options of {@link BumCapture}. */
export interface BumCaptureOptions {
  host: string;
  instance: string;
  iface: string;
  udpPort: number;
  vtep: string | null;
  localAddresses: string[];
  /** Seconds per report. */
  intervalS: number;
  /** Packets per second decoded in full (above: sampling). */
  budgetPps: number;
  /** tcpdump snap length (default 160: outer headers + VXLAN + inner Ethernet, VLAN tags and ARP). */
  snaplen?: number;
  /** tcpdump executable (default `tcpdump` on PATH). */
  tcpdump?: string;
  env?: NodeJS.ProcessEnv;
  log: Log;
  /** Called with every report; the last one (on stop) is awaited. */
  onReport: (r: BumReport) => void | Promise<void>;
}

/**
 * The tcpdump argv for a capture. `-p`: the underlay NIC is not put into promiscuous mode (the
 * meter only needs what this host sends and receives, multicast groups it joined included).
 */
export function tcpdumpArgv(tcpdump: string, iface: string, port: number, snaplen = 160): string[] {
  return [tcpdump, '-i', iface, '-p', '-nn', '-U', '-s', String(snaplen), '-w', '-', `udp and dst port ${port}`];
}

/** Runs tcpdump and the meter; reports every `intervalS`. */
export class BumCapture {
  readonly meter: BumMeter;
  private child: ChildProcess | null = null;
  private reader = new PcapStreamReader();
  private timer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private stopped = false;
  /** Why the meter does not run now (null: running). */
  unavailable: string | null = 'starting';
  private droppedTotal: number | null = null;
  private droppedAtLastReport: number | null = null;
  private statsWaiter: (() => void) | null = null;
  private stderrTail = '';
  /** Reports emitted. */
  reports = 0;

  constructor(private readonly o: BumCaptureOptions) {
    this.meter = new BumMeter({
      host: o.host,
      instance: o.instance,
      vtep: o.vtep,
      localAddresses: o.localAddresses,
      iface: o.iface,
      udpPort: o.udpPort,
      budgetPps: o.budgetPps,
      startMs: Date.now(),
    });
  }

  /** tcpdump's PID while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start capturing and the report timer. */
  start(): void {
    this.spawnTcpdump();
    this.timer = setInterval(() => void this.emitReport(), this.o.intervalS * 1000);
  }

  /** Use the FDB of the latest snapshot for unknown-unicast classification. */
  setFdb(fdb: BumFdb): void {
    this.meter.setFdb(fdb);
  }

  /** The host's addresses changed. */
  setLocal(vtep: string | null, addresses: string[]): void {
    this.meter.setLocal(vtep, addresses);
  }

  private spawnTcpdump(): void {
    if (this.stopped) return;
    const exe = which(this.o.tcpdump ?? 'tcpdump', this.o.env?.PATH ?? process.env.PATH);
    if (!exe) {
      this.setUnavailable('tcpdump missing', `bum: unavailable (tcpdump missing: install Debian's tcpdump); retrying every 60 s`);
      this.restartTimer = setTimeout(() => this.spawnTcpdump(), 60_000);
      return;
    }
    const argv = tcpdumpArgv(exe, this.o.iface, this.o.udpPort, this.o.snaplen);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: this.o.env ?? process.env });
    this.child = child;
    this.reader = new PcapStreamReader();
    this.stderrTail = '';
    let gone = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        const hadHeader = this.reader.header !== null;
        this.reader.push(chunk, (rec) => this.meter.offer(rec));
        if (!hadHeader && this.reader.header) {
          this.meter.setLinktype(this.reader.header.linktype);
          this.restarts = 0;
          this.unavailable = null;
          this.o.log(
            `bum: capturing on ${this.o.iface} udp dst port ${this.o.udpPort} (tcpdump pid ${child.pid}, linktype ${this.reader.header.linktype}, snaplen ${this.reader.header.snaplen})`,
          );
        }
      } catch (e) {
        this.o.log(`bum: unreadable capture stream (${errLine(e)}); restarting tcpdump`);
        void stopChild(child);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
      const stats = parseTcpdumpStats(d);
      if (stats?.dropped !== null && stats?.dropped !== undefined) {
        this.droppedTotal = stats.dropped;
        this.statsWaiter?.();
      }
    });
    const onGone = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.child === child) this.child = null;
      if (this.stopped) return;
      const delay = Math.min(60_000, 5000 * 2 ** Math.min(this.restarts++, 4));
      const msg = this.stderrTail
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^tcpdump: listening on|packets (captured|received|dropped)/.test(l))
        .pop();
      this.setUnavailable(`tcpdump ${why}${msg ? `: ${msg}` : ''}`.slice(0, 500), `bum: tcpdump ${why}${msg ? `: ${msg}` : ''}; restart in ${delay / 1000} s`);
      this.droppedTotal = null;
      this.droppedAtLastReport = null;
      this.restartTimer = setTimeout(() => this.spawnTcpdump(), delay);
    };
    child.on('spawn', () => {
      // tcpdump writes the pcap header at once; if it is still alive after a moment it captures
      setTimeout(() => {
        if (this.child === child && child.exitCode === null && this.unavailable !== null) this.unavailable = null;
      }, 1500).unref();
    });
    child.on('error', (e) => onGone(`failed to start (${errLine(e)})`));
    child.on('exit', (code, signal) => onGone(`exited (${code ?? signal})`));
  }

  private setUnavailable(reason: string, logLine: string): void {
    this.unavailable = reason;
    this.o.log(logLine);
  }

  /** Ask tcpdump for its counters (SIGUSR1) and wait up to `ms` for them. */
  private async refreshStats(ms: number): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || this.reader.header === null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.statsWaiter = null;
        resolve();
      }, ms);
      this.statsWaiter = () => {
        clearTimeout(t);
        this.statsWaiter = null;
        resolve();
      };
      try {
        child.kill('SIGUSR1');
      } catch {
        this.statsWaiter();
      }
    });
  }

  private async emitReport(final = false): Promise<BumReport> {
    if (!final) await this.refreshStats(300);
    let dropped: number | null = null;
    if (this.droppedTotal !== null) {
      dropped = this.droppedAtLastReport === null ? this.droppedTotal : Math.max(0, this.droppedTotal - this.droppedAtLastReport);
      this.droppedAtLastReport = this.droppedTotal;
    }
    const r = this.meter.report(Date.now(), dropped);
    if (this.unavailable) r.unavailable = this.unavailable;
    this.reports++;
    await this.o.onReport(r);
    return r;
  }

  /** Stop tcpdump and the timer; emits the last (partial) report. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await stopChild(this.child);
    await this.emitReport(true);
  }
}
