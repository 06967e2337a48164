'use client';
/** What the header shows, derived from the store: socket and tap states, counters, the latest gap. */
import type { TapGapView } from '@l2scope/domain';
import { useL2 } from '@/state/store';

export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

export interface HeaderStatus {
  socket: { state: string; label: string; tone: Tone; title: string };
  tap: { mode: string | null; connected: boolean | null; label: string; tone: Tone; title: string };
  counters: { received: number; undecodable: number; dropped: number; expired: number } | null;
  queueDepth: number | null;
  gap: TapGapView | null;
  gapCount: number;
  missingExchanges: string[];
  deniedExchanges: string[];
  dbError: string | null;
}

/** Header status from the live socket (`stats` events), falling back to the persisted counters. */
export function useHeaderStatus(): HeaderStatus {
  const live = useL2((s) => s.live);
  const modelError = useL2((s) => s.model.error);
  const inspectorError = useL2((s) => (s.inspector.status === 'error' ? s.inspector.error : null));
  const stats = live.socket === 'connected' ? live.stats : null;

  const socket =
    live.socket === 'connected' && live.behind
      ? {
          label: 'Live: behind',
          tone: 'warn' as Tone,
          title: 'This browser reads live updates more slowly than they come: the worker holds them back and this page refetches when it catches up',
        }
      : live.socket === 'connected'
        ? { label: 'Live', tone: 'ok' as Tone, title: `Live updates from ${live.url ?? 'the worker'}` }
        : live.socket === 'connecting'
          ? { label: 'Connecting…', tone: 'idle' as Tone, title: `Connecting to ${live.url ?? 'the worker'}` }
          : {
              label: 'Live updates offline',
              tone: 'bad' as Tone,
              title: `No connection to the worker at ${live.url ?? '?'}${live.error ? ` (${live.error})` : ''}: showing the last persisted state`,
            };

  let tap: HeaderStatus['tap'];
  if (!stats) {
    tap = { mode: null, connected: null, label: 'Tap: unknown', tone: 'idle', title: 'The worker has not reported (live socket not connected)' };
  } else if (stats.role === 'standby') {
    tap = {
      mode: stats.mode,
      connected: stats.connected,
      label: 'Tap: standby worker',
      tone: 'idle',
      title: 'This browser is connected to a standby worker: the active worker taps the broker, and its live updates arrive through Redis',
    };
  } else if (stats.mode === 'amqp') {
    tap = stats.connected
      ? { mode: 'amqp', connected: true, label: 'Tap: AMQP connected', tone: 'ok', title: 'Tapping the broker live' }
      : { mode: 'amqp', connected: false, label: 'Tap: AMQP DISCONNECTED', tone: 'bad', title: 'The worker lost the broker: messages are being missed' };
  } else if (stats.mode === 'replay') {
    tap = {
      mode: 'replay',
      connected: stats.connected,
      label: 'Tap: replaying capture',
      tone: 'warn',
      title: 'In-process replay of a recorded capture, not a live broker',
    };
  } else {
    tap = { mode: 'idle', connected: stats.connected, label: 'Tap: idle', tone: 'idle', title: 'The worker has no source' };
  }

  const counters = stats ?? live.persisted;
  const gaps = stats?.gaps ?? live.persisted?.gaps ?? [];
  return {
    socket: { state: live.socket, ...socket },
    tap,
    counters: counters ? { received: counters.received, undecodable: counters.undecodable, dropped: counters.dropped, expired: counters.expired } : null,
    queueDepth: stats?.queueDepth ?? null,
    gap: gaps[0] ?? null,
    gapCount: gaps.length,
    missingExchanges: stats?.missingExchanges ?? [],
    deniedExchanges: stats?.deniedExchanges ?? [],
    dbError: modelError ?? inspectorError,
  };
}
