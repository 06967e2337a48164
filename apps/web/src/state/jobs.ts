/**
 * The toggle jobs the browser knows: those read through `jobs.list` / `jobs.get` or returned by a
 * mutation, and every live `toggle` event (docs/toggles.md). A job is a whole value: the newer of
 * two copies (by `updatedAt`, the store's write time) wins, so an answer that lands after a live
 * event never takes the job back. Bounded: the {@link MAX_JOBS} most recently updated are kept.
 */
import type { ToggleJobView } from '@l2scope/domain';

/** Jobs kept in the browser; the oldest by `updatedAt` are dropped beyond it. */
export const MAX_JOBS = 500;

export interface JobsState {
  byId: ReadonlyMap<string, ToggleJobView>;
  /** Bumped on every change. */
  rev: number;
}

export const EMPTY_JOBS: JobsState = { byId: new Map(), rev: 0 };

/**
 * Whether `next` replaces `prev`: strictly newer. The store moves `updatedAt` forward on every
 * write (packages/db `advanceToggleJob`), so an equal time is the same version.
 */
function newer(prev: ToggleJobView | undefined, next: ToggleJobView): boolean {
  return !prev || Date.parse(next.updatedAt) > Date.parse(prev.updatedAt);
}

/**
 * Fold jobs into the state (each kept only when not older than the copy held); the same state
 * when nothing changed. Evicts the least recently updated beyond {@link MAX_JOBS}.
 */
export function upsertJobs(s: JobsState, jobs: readonly ToggleJobView[], max = MAX_JOBS): JobsState {
  let map: Map<string, ToggleJobView> | null = null;
  for (const j of jobs) {
    const cur = (map ?? s.byId).get(j.id);
    if (!newer(cur, j)) continue;
    map ??= new Map(s.byId);
    map.set(j.id, j);
  }
  if (!map) return s;
  if (map.size > max) {
    const order = [...map.values()].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
    for (const j of order.slice(0, map.size - max)) map.delete(j.id);
  }
  return { byId: map, rev: s.rev + 1 };
}

/** The jobs with these ids, in that order (unknown ones left out). */
export function jobsByIds(s: JobsState, ids: readonly string[]): ToggleJobView[] {
  return ids.map((id) => s.byId.get(id)).filter((j): j is ToggleJobView => j !== undefined);
}

/** A host's jobs, newest first. */
export function jobsOfHost(s: JobsState, host: string): ToggleJobView[] {
  return [...s.byId.values()].filter((j) => j.host === host).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Every job, newest first (creation, then batch order). */
export function allJobs(s: JobsState): ToggleJobView[] {
  return [...s.byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.batchIndex - b.batchIndex);
}
