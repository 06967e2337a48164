'use client';
/**
 * `/audit` (operators and admins): the toggle jobs with their state, the audit log (virtualised,
 * newest first, older pages on scroll), the hash chain's verification and the JSONL export
 * (admins). New entries are read again when a live `toggle` event changes a job.
 */
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { dateTime } from '@/lib/format';
import { useSyncFeatures } from '@/hooks/use-sync';
import { useRefetchOnChange } from '@/hooks/use-live-query';
import { type RouterOutputs, useTRPC, useTRPCClient } from '@/lib/trpc';
import { allJobs } from '@/state/jobs';
import { useL2 } from '@/state/store';
import { detailLine, mergeAudit, olderCursor } from '@/toggle/audit';
import { errorText } from '@/toggle/errors';
import { describeChange } from '@/toggle/mode';
import { Card, HostViewFrame } from '../host-view/HostViewFrame';
import { usePageUser } from '../SessionUser';
import { JobState } from './JobCard';
import { PlanDialog } from './PlanDialog';

type AuditRow = RouterOutputs['audit']['list'][number];

const ROW_H = 24;
const PAGE = 200;

export function AuditPage() {
  const user = usePageUser();
  const allowed = user !== null && !user.anonymous && (user.role === 'operator' || user.role === 'admin');
  return (
    <HostViewFrame crumbs={[{ href: '/overview', label: 'Overview' }, { label: 'Audit' }]} testid="audit-page">
      {allowed ? (
        <AuditBody admin={user.role === 'admin'} />
      ) : (
        <p className="pad muted" data-testid="audit-forbidden">
          The audit log needs role operator or admin.
        </p>
      )}
    </HostViewFrame>
  );
}

function AuditBody({ admin }: { admin: boolean }) {
  useSyncFeatures('jobs');
  const byId = useL2((s) => s.jobs.byId);
  const jobsRev = useL2((s) => s.jobs.rev);
  const jobs = useMemo(() => allJobs({ byId, rev: 0 }), [byId]);
  const [open, setOpen] = useState<{ jobIds: string[]; batchId: string | null } | null>(null);

  return (
    <>
      {admin ? (
        <ChainCard />
      ) : (
        <Card title="Hash chain">
          <p className="muted small">Verifying the chain and exporting the log need role admin.</p>
        </Card>
      )}
      <Card title={`Toggle jobs (${jobs.length})`} testid="audit-jobs">
        {jobs.length === 0 ? (
          <p className="muted small">No toggle job yet.</p>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>created (UTC)</th>
                <th>host</th>
                <th>change</th>
                <th>state</th>
                <th>requested by</th>
                <th>approved by</th>
                <th>batch</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} data-testid="audit-job" data-job={j.id} data-state={j.state}>
                  <td className="mono">{dateTime(j.createdAt)}</td>
                  <td className="mono">{j.host}</td>
                  <td>
                    {describeChange(j.change)}
                    {j.inPlace ? ' (in place)' : ''}
                  </td>
                  <td>
                    <JobState job={j} />
                  </td>
                  <td>{j.requestedBy}</td>
                  <td>{j.approvedBy ?? '—'}</td>
                  <td className="mono muted">{j.batchId ? `${j.batchId.slice(0, 8)} #${j.batchIndex + 1}` : '—'}</td>
                  <td>
                    <button type="button" className="btn small" onClick={() => setOpen({ jobIds: [j.id], batchId: null })}>
                      details
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <AuditLog rev={jobsRev} />
      {open && <PlanDialog jobIds={open.jobIds} batchId={open.batchId} onClose={() => setOpen(null)} />}
    </>
  );
}

function ChainCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.audit.verify.queryOptions());
  const r = q.data;
  return (
    <Card
      title="Hash chain"
      testid="audit-chain"
      aside={
        <a className="btn small" href="/api/audit/export" download data-testid="audit-export">
          Export (JSONL)
        </a>
      }
    >
      {q.isPending && <p className="muted small">Verifying…</p>}
      {q.isError && <p className="text-bad small">{errorText(q.error)}</p>}
      {r && (
        <p className={r.ok ? 'text-ok strong' : 'text-bad strong'} data-testid="audit-chain-result" data-ok={r.ok}>
          {r.ok
            ? `✓ intact: ${r.entries} entries, every hash recomputed`
            : `✗ broken at entry #${r.seq} (${r.reason}): an entry was changed or removed outside l2scope (${r.entries} entries)`}
        </p>
      )}
      <button type="button" className="btn small" onClick={() => void q.refetch()} disabled={q.isFetching}>
        Verify again
      </button>
    </Card>
  );
}

function AuditLog({ rev }: { rev: number }) {
  const client = useTRPCClient();
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [capped, setCapped] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const loading = useRef(false);
  const scrollRef = useRef<HTMLDivElement | null>(null);

  const loadHead = useCallback(async () => {
    try {
      const page = await client.audit.list.query({ limit: PAGE });
      setRows((r) => mergeAudit(r, page).rows);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, [client]);
  const loadOlder = useCallback(async () => {
    const before = olderCursor(rows);
    if (loading.current || before === null || capped) return;
    loading.current = true;
    try {
      const page = await client.audit.list.query({ limit: PAGE, beforeSeq: before });
      const m = mergeAudit(rows, page);
      setRows(m.rows);
      setCapped(m.capped);
    } catch (err) {
      setError(errorText(err));
    } finally {
      loading.current = false;
    }
  }, [client, rows, capped]);
  useEffect(() => {
    void loadHead();
  }, [loadHead]);
  useRefetchOnChange(rev, loadHead, 300);

  // TanStack Virtual returns functions the React Compiler cannot memoise: this component opts out
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 16 });
  const onScroll = () => {
    const el = scrollRef.current;
    if (el && el.scrollTop + el.clientHeight > el.scrollHeight - 400) void loadOlder();
  };

  return (
    <Card title={`Audit log (${rows.length}${olderCursor(rows) !== null ? '+' : ''} entries, newest first)`} testid="audit-log">
      {error && <p className="text-bad small">{error}</p>}
      <div className="audit-table" ref={scrollRef} onScroll={onScroll} role="grid" aria-rowcount={rows.length}>
        <div className="audit-row head" role="row">
          <span>seq</span>
          <span>time (UTC)</span>
          <span>actor</span>
          <span>action</span>
          <span>target</span>
          <span>detail</span>
          <span>hash</span>
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const e = rows[v.index]!;
            return (
              <div
                key={e.seq}
                className="audit-row"
                role="row"
                data-testid="audit-entry"
                data-seq={e.seq}
                data-action={e.action}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
                title={`${e.origin ? `origin ${e.origin}\n` : ''}job ${e.jobId ?? '—'}\nprev ${e.prevHash}\nhash ${e.hash}`}
              >
                <span className="mono">{e.seq}</span>
                <span className="mono">{dateTime(e.at)}</span>
                <span>{e.actor}</span>
                <span className="mono">{e.action}</span>
                <span className="mono">{e.target}</span>
                <span className="mono muted">{detailLine(e.detail)}</span>
                <span className="mono muted">{e.hash.slice(0, 12)}</span>
              </div>
            );
          })}
        </div>
      </div>
      {capped && <p className="muted small">Showing the newest {rows.length} entries; the export has them all.</p>}
    </Card>
  );
}
