/**
 * The open findings' lifecycle in the worker: each analysis' findings folded into the open set
 * (opened, refreshed when what they say changed, resolved when gone), and the row ids the
 * database gives each opening. The live view (`GET /api/nodes`, the live `update`) reads this set;
 * the host monitor writes every change it reports, in order, so the stored view follows it.
 */
import { type Finding, type FindingView, findingKey } from '@l2scope/domain';
import type { FindingContent } from '@l2scope/db';

/** What one analysis changed in the open findings. */
export interface FindingChanges {
  /** Findings opened by it (id 0 until {@link FindingLifecycle.written}). */
  opened: FindingView[];
  /** Open findings whose hosts, detail, evidence or VNI it changed: what they say now (a copy). */
  refreshed: FindingContent[];
  /** Open findings it no longer has (as they were last). */
  resolved: FindingView[];
}

/** What a finding says, as compared between analyses: VNI, hosts, detail, evidence. */
const contentSig = (f: FindingContent): string => JSON.stringify([f.vni, f.hosts, f.detail, f.evidence]);

const contentOf = (f: FindingView): FindingContent => ({
  kind: f.kind,
  network: f.network,
  vni: f.vni,
  hosts: f.hosts,
  detail: f.detail,
  evidence: f.evidence,
});

/**
 * The open findings by key (`<kind>/<network>`, domain `findingKey`). A finding's view is replaced,
 * never edited, when an analysis refreshes it (a live update already emitted keeps what it said),
 * except for its row id, which arrives after the write that opened it.
 */
export class FindingLifecycle {
  private readonly open = new Map<string, FindingView>();
  /** Per open key, the signature of what it says ({@link contentSig}). */
  private readonly sigs = new Map<string, string>();
  /** Per open key, the view its opening reported (the row id written for it belongs to this opening). */
  private readonly openings = new Map<string, FindingView>();

  /** Take the open findings as stored (on start). */
  load(findings: readonly FindingView[]): void {
    for (const f of findings) {
      const key = findingKey(f);
      this.open.set(key, f);
      this.sigs.set(key, contentSig(f));
      this.openings.set(key, f);
    }
  }

  /** The open findings, in the order they were opened (or loaded). */
  list(): FindingView[] {
    return [...this.open.values()];
  }

  /** Row ids of the open findings already written (the others are being opened). */
  writtenIds(): number[] {
    return this.list()
      .filter((f) => f.id > 0)
      .map((f) => f.id);
  }

  /**
   * Fold one analysis' findings, made at `at` (ISO-8601): a new key opens (first and last seen
   * `at`), a known key is seen again (its content replaced by the latest, reported in `refreshed`
   * only when it changed), a key missing from `current` is resolved.
   * @param current the analysis' findings (at most one per key: later ones win)
   */
  apply(current: readonly Finding[], at: string): FindingChanges {
    const byKey = new Map(current.map((f) => [findingKey(f), f]));
    const changes: FindingChanges = { opened: [], refreshed: [], resolved: [] };
    for (const [key, f] of byKey) {
      const open = this.open.get(key);
      const sig = contentSig(f);
      if (open) {
        const next = { ...open, ...f, lastSeenAt: at };
        this.open.set(key, next);
        if (this.sigs.get(key) !== sig) changes.refreshed.push(contentOf(next));
      } else {
        const view: FindingView = { ...f, id: 0, firstSeenAt: at, lastSeenAt: at };
        this.open.set(key, view);
        this.openings.set(key, view);
        changes.opened.push(view);
      }
      this.sigs.set(key, sig);
    }
    for (const [key, f] of this.open) {
      if (byKey.has(key)) continue;
      this.open.delete(key);
      this.sigs.delete(key);
      this.openings.delete(key);
      changes.resolved.push(f);
    }
    return changes;
  }

  /**
   * The row written for an opening got `id`: set on that opening's view and, while the same
   * opening is still open, on its current view (a refresh may have replaced the view meanwhile).
   */
  written(opening: FindingView, id: number): void {
    opening.id = id;
    const key = findingKey(opening);
    if (this.openings.get(key) !== opening) return;
    const cur = this.open.get(key);
    if (cur) cur.id = id;
  }
}
