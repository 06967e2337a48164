/**
 * `--status-file <path>`: a tiny JSON file that tells a container health check (the agent has no
 * HTTP port) whether the agent is doing its job. The agent rewrites it after every publish the
 * broker confirmed (snapshot or BUM report) and when the broker connection goes down or comes back;
 * the check (`docker/agent-healthcheck.mjs`) is green only while `lastConfirmedAt` (the newest
 * broker-confirmed **snapshot**) is recent.
 *
 * Every write is atomic (a temporary file in the same directory, then rename), so a reader never
 * sees a half-written file. A write that fails is logged (once per distinct error) and never stops
 * the agent. A file left by an earlier process is removed when the agent starts, so it cannot make
 * the new process look healthy.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRefusalReason } from '@l2scope/domain';
import { type Log, errLine } from './log';

/** Schema id of the status file (field `schema`). */
export const AGENT_STATUS_SCHEMA = 'l2scope.agent-status/1';

/** State of the BUM meter as the status file reports it. */
export interface BumStatus {
  /** `capturing`: tcpdump runs; `starting`: not yet confirmed running; `unavailable`: see `reason`; `disabled`: `--no-bum`. */
  state: 'capturing' | 'starting' | 'unavailable' | 'disabled';
  /** Why the meter is unavailable (e.g. `tcpdump missing`), else null. */
  reason: string | null;
  /** Underlay interface captured on, null when none was found or the meter is off. */
  iface: string | null;
  /** ISO time of the newest BUM report the broker confirmed, null before the first one. */
  lastConfirmedAt: string | null;
}

/** The command channel as the status file reports it (counts since the agent started). */
export interface CommandStatus {
  /** No `--command-public-key`: every command is refused `read_only`. */
  readOnly: boolean;
  /** Whether the agent's command queue is bound and consumed now. */
  listening: boolean;
  accepted: number;
  done: number;
  failed: number;
  /** Refusals per reason. */
  refused: Partial<Record<CommandRefusalReason, number>>;
  /** ISO time of the newest command received (any outcome), null before the first. */
  lastAt: string | null;
}

/** The meter's state as the agent knows it (the status file adds `lastConfirmedAt`). */
export type BumState = Omit<BumStatus, 'lastConfirmedAt'>;

/**
 * The status file's content (`l2scope.agent-status/1`). Times are ISO 8601 strings (UTC);
 * `intervalS` is in seconds.
 */
export interface AgentStatus {
  schema: typeof AGENT_STATUS_SCHEMA;
  host: string;
  /** Random per agent process (as in the snapshots). */
  instance: string;
  pid: number;
  /** The agent's `--interval` (seconds between full snapshots): the health check allows 3 of them. */
  intervalS: number;
  startedAt: string;
  /** When this file was written. */
  writtenAt: string;
  /** Whether the agent had an open channel to the broker when it wrote the file. */
  brokerConnected: boolean;
  /** ISO time of the newest snapshot (full or delta) the broker confirmed; null before the first. */
  lastConfirmedAt: string | null;
  /** Sequence number of that snapshot (null before the first). */
  seq: number | null;
  /** Its kind. */
  kind: 'full' | 'delta' | null;
  /** ISO time of the newest confirmed full snapshot. */
  lastFullConfirmedAt: string | null;
  bum: BumStatus;
  /** The command channel (absent before it started). */
  commands?: CommandStatus;
}

/**
 * Write `status` as JSON to `file` atomically: `<file>.<pid>.tmp` in the same directory (created
 * if missing), then rename over `file`.
 * @throws the file system's error (ENOENT, EACCES, EROFS ...); the temporary file is removed first
 */
export async function writeStatusFile(file: string, status: AgentStatus): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(status)}\n`, { mode: 0o644 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** What the agent tells the {@link StatusFile} about itself. */
export interface StatusIdentity {
  host: string;
  instance: string;
  intervalS: number;
}

/**
 * The agent's status file: keeps the latest known state, rewrites the file on every change the
 * agent reports. Writes are serialised (never two at once; the newest state wins).
 */
export class StatusFile {
  private readonly status: AgentStatus;
  private writing: Promise<void> = Promise.resolve();
  private lastError = '';

  /**
   * @param file path of the status file (its directory is created when missing)
   * @param id host, instance and full-snapshot interval (seconds) of the agent
   * @param log where a failed write is reported (once per distinct error)
   * @param now clock (epoch ms), for tests
   */
  constructor(
    readonly file: string,
    id: StatusIdentity,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {
    this.status = {
      schema: AGENT_STATUS_SCHEMA,
      host: id.host,
      instance: id.instance,
      pid: process.pid,
      intervalS: id.intervalS,
      startedAt: new Date(this.now()).toISOString(),
      writtenAt: new Date(this.now()).toISOString(),
      brokerConnected: false,
      lastConfirmedAt: null,
      seq: null,
      kind: null,
      lastFullConfirmedAt: null,
      bum: { state: 'starting', reason: null, iface: null, lastConfirmedAt: null },
    };
  }

  /** A copy of the current status (what the next write would contain, but for `writtenAt`). */
  get current(): AgentStatus {
    return structuredClone(this.status);
  }

  /** Remove a file left by an earlier process (missing is fine). Never throws. */
  async reset(): Promise<void> {
    try {
      await rm(this.file, { force: true });
    } catch (e) {
      this.report(e);
    }
  }

  /** The broker confirmed a snapshot: record it (`brokerConnected` becomes true) and write. */
  snapshotConfirmed(kind: 'full' | 'delta', seq: number, bum: BumState): Promise<void> {
    const at = new Date(this.now()).toISOString();
    Object.assign(this.status, { lastConfirmedAt: at, seq, kind, brokerConnected: true });
    if (kind === 'full') this.status.lastFullConfirmedAt = at;
    this.status.bum = { ...bum, lastConfirmedAt: this.status.bum.lastConfirmedAt };
    return this.write();
  }

  /** The broker confirmed a BUM report: record it and the meter's state, and write. */
  bumConfirmed(bum: BumState): Promise<void> {
    this.status.bum = { ...bum, lastConfirmedAt: new Date(this.now()).toISOString() };
    this.status.brokerConnected = true;
    return this.write();
  }

  /** The broker connection went down or came back: record it (and the meter's state) and write. */
  connection(connected: boolean, bum: BumState): Promise<void> {
    this.status.brokerConnected = connected;
    this.status.bum = { ...bum, lastConfirmedAt: this.status.bum.lastConfirmedAt };
    return this.write();
  }

  /** The command channel's counts changed: record them and write. */
  commands(c: CommandStatus): Promise<void> {
    this.status.commands = structuredClone(c);
    return this.write();
  }

  /** Write the current status (after the writes already queued). Never rejects. */
  write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.status.writtenAt = new Date(this.now()).toISOString();
      try {
        await writeStatusFile(this.file, this.status);
        this.lastError = '';
      } catch (e) {
        this.report(e);
      }
    });
    return this.writing;
  }

  private report(e: unknown): void {
    const msg = errLine(e);
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.log(`status: cannot write ${this.file}: ${msg}`);
  }
}
