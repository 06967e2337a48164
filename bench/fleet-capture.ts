/**
 * A fleet capture file: {@link networkFleet}'s messages (every host's report_state, then one
 * add_fdb_entries fanout per port) as capture lines the worker replays (`--replay FILE`), for the
 * fleet view's e2e test and performance script and for `npm start -- --replay FILE`.
 */
import { writeFileSync } from 'node:fs';
import { toCaptureLine } from '@l2scope/domain';
import { networkFleet } from './workload';

/** Options of {@link writeFleetCapture}. */
export interface FleetCaptureOptions {
  hosts: number;
  networks: number;
  /** Hosts per network (range), as in networkFleet. */
  minSpan?: number;
  maxSpan?: number;
  /**
   * Hosts per rack: host `h` is named `compute-r<rack>-<h>` (racks of this size, the fleet view's
   * name-pattern groups); 0 keeps networkFleet's `compute-<h>.bench`. Default 40.
   */
  rack?: number;
  /** Time of the first message (epoch ms); the rest follow 1 ms apart. Default: now. */
  start?: number;
}

/**
 * Write the capture to `file` (JSONL). Returns the number of messages written.
 * The properties are those neutron-server's casts carry (JSON body, persistent).
 */
export function writeFleetCapture(file: string, o: FleetCaptureOptions): number {
  const fleet = networkFleet(o.hosts, o.networks, o.minSpan ?? 20, o.maxSpan ?? 50);
  const t0 = o.start ?? Date.now();
  const rack = o.rack ?? 40;
  const name = (h: number) => `compute-r${String(Math.floor(h / rack)).padStart(2, '0')}-${String(h).padStart(4, '0')}`;
  const lines = fleet.messages.map((m, i) => {
    // the report_states come first, one per host, in host order
    const body = rack > 0 && i < o.hosts ? Buffer.from(m.body.toString().replaceAll(fleet.hostName(i), name(i))) : m.body;
    return toCaptureLine({
      ts: new Date(t0 + i),
      exchange: m.exchange,
      routingKey: m.routingKey,
      properties: { contentType: 'application/json', contentEncoding: 'utf-8', headers: {}, deliveryMode: 2, priority: 0 },
      body,
    });
  });
  writeFileSync(file, lines.join('\n') + '\n');
  return lines.length;
}
