/**
 * The host page's mode panel (docs/toggles.md#from-the-dashboard-and-the-cli): each setting a
 * toggle switches, as the running agent reports it (report_state) and as its ini says (node
 * snapshot), and the {@link ModeChange} the switches ask for.
 */
import type { HostMode, ModeChange, ToggleJobView } from '@l2scope/domain';
import { FINAL_JOB_STATES } from '@l2scope/domain';

/** The two settings, in the order the panel shows them. */
export const TOGGLE_KEYS = ['l2_population', 'arp_responder'] as const;
export type ToggleKey = (typeof TOGGLE_KEYS)[number];

/** A value as shown: on, off, or unknown (no report, no ini read, or not reported by this agent type). */
export type OnOff = 'on' | 'off' | 'unknown';

export interface ModeRow {
  key: ToggleKey;
  /** as report_state says (OVS only reports `arp_responder_enabled`) */
  reported: OnOff;
  /** as the agent's ini says (null-safe: `unknown` without a node snapshot) */
  ini: OnOff;
  /** what the switch starts at: the ini when known (what a restart would apply), else the report */
  current: OnOff;
  /** the ini and the running agent disagree: the ini was changed and the agent not restarted */
  restartPending: boolean;
}

const onOff = (v: boolean | null | undefined): OnOff => (v === true ? 'on' : v === false ? 'off' : 'unknown');

/**
 * The panel's rows from the host analysis's mode (null when no node snapshot was analysed; then
 * `reported` comes from the model's record, `fallback`).
 */
export function modeRows(mode: HostMode | null, fallback?: { l2population: boolean | null; arpResponder: boolean | null } | null): ModeRow[] {
  const rep = mode?.reported ?? fallback ?? null;
  const values: Record<ToggleKey, { reported: OnOff; ini: OnOff }> = {
    l2_population: { reported: onOff(rep?.l2population), ini: onOff(mode?.ini?.l2population) },
    arp_responder: { reported: onOff(rep?.arpResponder), ini: onOff(mode?.ini?.arpResponder) },
  };
  return TOGGLE_KEYS.map((key) => {
    const { reported, ini } = values[key];
    return { key, reported, ini, current: ini !== 'unknown' ? ini : reported, restartPending: ini !== 'unknown' && reported !== 'unknown' && ini !== reported };
  });
}

/**
 * The change the switches ask for: only the settings whose wanted value differs from `current`;
 * null when nothing would change.
 */
export function changeFor(rows: readonly ModeRow[], wanted: Partial<Record<ToggleKey, boolean>>): ModeChange | null {
  const change: { l2_population?: boolean; arp_responder?: boolean } = {};
  for (const r of rows) {
    const w = wanted[r.key];
    if (w === undefined) continue;
    if (r.current === 'unknown' || (r.current === 'on') !== w) change[r.key] = w;
  }
  return Object.keys(change).length > 0 ? (change as ModeChange) : null;
}

/** A job that is not over (it holds the host: no new plan until it ends). */
export function isActiveJob(job: ToggleJobView): boolean {
  return !FINAL_JOB_STATES.includes(job.state);
}

/** A change in words: `l2_population off, arp_responder on`. */
export function describeChange(change: ModeChange): string {
  return TOGGLE_KEYS.filter((k) => change[k] !== undefined)
    .map((k) => `${k} ${change[k] ? 'on' : 'off'}`)
    .join(', ');
}
