/**
 * Per-socket back-pressure of the live push (docs/operations.md#live-push). A browser that does
 * not read fast enough (a slow link, a frozen tab) makes the data the worker sends it pile up in
 * that socket's buffers: engine.io's write buffer (packets) and the WebSocket's `bufferedAmount`
 * (bytes handed to `ws` and not yet taken by the kernel). Past `maxBufferedBytes` (or
 * `maxBufferedPackets`), the socket joins the room {@link BEHIND_ROOM} and every window is
 * broadcast `except` that room, locally and through the Redis adapter alike, so its backlog
 * stops growing. It is told `live { behind: true }` once, and the header badge says "behind".
 * Once its buffers are below a quarter of the bound, the socket leaves the room and receives a
 * coalesced state instead of what it missed: `model` and `messages` with `skipped: 1` (the
 * browser refetches the model and the first page of messages), the current `stats`, and
 * `live { behind: false }`. What one slow browser costs the worker is bounded by the bound.
 */
import type { Server, Socket } from 'socket.io';
import type { LiveServerEvents, ModelBatch, TapStats } from '@l2scope/domain';

/** The room of the sockets that are behind: windows are broadcast except to it. */
export const BEHIND_ROOM = 'l2scope:behind';

/** Bounds of {@link Backpressure}. */
export interface BackpressureOptions {
  /** Bytes buffered for one socket past which it is behind (default 1 MiB). */
  maxBufferedBytes?: number;
  /** engine.io packets buffered for one socket past which it is behind (default 64: over 3 s of 50 ms windows). */
  maxBufferedPackets?: number;
  /** How often the sockets that are behind are checked for a drain (ms, default 250). */
  checkEveryMs?: number;
}

type LiveSocket = Socket<Record<string, never>, LiveServerEvents>;

/** What a socket holds unsent: engine.io's write buffer and, on a WebSocket, ws's `bufferedAmount`. */
export function buffered(socket: LiveSocket): { bytes: number; packets: number } {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[]; transport?: { socket?: { bufferedAmount?: number } } };
  return { bytes: conn.transport?.socket?.bufferedAmount ?? 0, packets: conn.writeBuffer?.length ?? 0 };
}

/** Tracks which local sockets are behind; see the module comment. */
export class Backpressure {
  private readonly maxBytes: number;
  private readonly maxPackets: number;
  private readonly behind = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly io: Server<Record<string, never>, LiveServerEvents>,
    /** The coalesced state a socket gets when it drains: the latest model seq and stats. */
    private readonly current: () => { seq: number; stats: TapStats },
    private readonly opts: BackpressureOptions = {},
  ) {
    this.maxBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.maxPackets = opts.maxBufferedPackets ?? 64;
  }

  /** Sockets of this instance that are behind now. */
  get count(): number {
    return this.behind.size;
  }

  /** Before a window is broadcast: move the sockets past the bound to the room. */
  check(): void {
    for (const socket of this.io.of('/').sockets.values()) {
      if (this.behind.has(socket.id)) continue;
      const b = buffered(socket);
      if (b.bytes <= this.maxBytes && b.packets <= this.maxPackets) continue;
      this.behind.add(socket.id);
      void socket.join(BEHIND_ROOM);
      socket.emit('live', { behind: true });
      socket.once('disconnect', () => this.behind.delete(socket.id));
    }
    this.arm();
  }

  /** The sockets that drained leave the room and get the coalesced state. */
  private release(): void {
    this.timer = null;
    const sockets = this.io.of('/').sockets;
    for (const id of [...this.behind]) {
      const socket = sockets.get(id);
      if (!socket) {
        this.behind.delete(id);
        continue;
      }
      const b = buffered(socket);
      if (b.bytes > this.maxBytes / 4 || b.packets > this.maxPackets / 4) continue;
      this.behind.delete(id);
      void socket.leave(BEHIND_ROOM);
      const { seq, stats } = this.current();
      const model: ModelBatch = { seq, changes: [], skipped: 1 };
      socket.emit('model', model);
      socket.emit('messages', { messages: [], skipped: 1 });
      socket.emit('stats', stats);
      socket.emit('live', { behind: false });
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.behind.size === 0) return;
    this.timer = setTimeout(() => this.release(), this.opts.checkEveryMs ?? 250);
    this.timer.unref();
  }

  /** Stop checking. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
