'use client';
/**
 * "Changes between T1 and T2" (`history.diff`, and the findings open at each time from `history.at`):
 * hosts that came, went or changed, networks, per network and VTEP the flood entry, FDB rows
 * (ports' MACs) and ARP responder rows added or removed, findings opened or resolved. T2 is the
 * page's `?to=` (a second slider), the present when absent.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { type FindingAt, findingsChanged, sliderSpan } from '@/history/time-range';
import { useAsOf, useHistoryAt } from '@/hooks/use-as-of';
import { useSliderTime } from '@/hooks/use-slider-time';
import { useTRPC } from '@/lib/trpc';
import { dateTime } from '@/lib/format';
import { Card } from '../host-view/HostViewFrame';

/** The changes from `from` to `to` (null: now). `findingsFrom`: the findings open at `from`. */
export function ChangesView({
  from,
  to,
  bounds,
  findingsFrom,
}: {
  from: string;
  to: string | null;
  bounds: { from: string | null; to: string | null };
  findingsFrom: readonly FindingAt[];
}) {
  const { setTo } = useAsOf();
  const [opened] = useState(() => new Date().toISOString());
  const t2 = to ?? opened;
  const trpc = useTRPC();
  const diff = useQuery({ ...trpc.history.diff.queryOptions({ from, to: t2, limit: 500 }), placeholderData: (prev) => prev });
  const at2 = useHistoryAt(t2);
  const span = sliderSpan(bounds, Date.parse(opened), Date.parse(t2));
  const t2Ms = Date.parse(t2);
  const [value, setValue] = useSliderTime(t2Ms, setTo);

  const d = diff.data?.diff;
  const f = at2.data ? findingsChanged(findingsFrom, at2.data.findings) : null;
  return (
    <Card
      title={`Changes between ${dateTime(from)} and ${dateTime(value)}`}
      testid="history-changes"
      aside={
        <span className="small">
          <input
            type="range"
            aria-label="Compare with (T2)"
            data-testid="diff-to-slider"
            min={span.min}
            max={span.max}
            step={1}
            value={value}
            onChange={(e) => setValue(Number(e.target.value))}
          />
          {to && (
            <button type="button" className="link small" onClick={() => setTo(null)}>
              to now
            </button>
          )}
        </span>
      }
    >
      {!d || !f ? (
        <p className="muted">Loading the changes…</p>
      ) : d.total === 0 && f.opened.length === 0 && f.resolved.length === 0 ? (
        <p className="muted" data-testid="history-no-changes">
          Nothing changed in the model nor in the findings.
        </p>
      ) : (
        <ul className="changes" data-testid="history-change-list" data-total={d.total + f.opened.length + f.resolved.length}>
          {d.hosts.map((h) => (
            <li key={`h/${h.host}`} data-testid="change-host" data-change={h.change} data-host={h.host}>
              host <strong>{h.host}</strong> {h.change}
              {h.fields.map((x) => ` · ${x.field} ${x.before} → ${x.after}`).join('')}
              {h.joined.length > 0 && ` · joined ${h.joined.map((n) => n.slice(0, 8)).join(', ')}`}
              {h.left.length > 0 && ` · left ${h.left.map((n) => n.slice(0, 8)).join(', ')}`}
            </li>
          ))}
          {d.networks.map((n) => (
            <li key={`n/${n.network}`} data-testid="change-network" data-change={n.change}>
              network <span className="mono">{n.network.slice(0, 8)}</span> {n.change}
            </li>
          ))}
          {d.vteps.map((v) => (
            <li key={`v/${v.network}/${v.vtep}`} data-testid="change-vtep" data-vtep={v.vtep}>
              <span className="mono">{v.network.slice(0, 8)}</span> VTEP <span className="mono">{v.vtep}</span>
              {v.flood && ` · flood entry ${v.flood}`}
              {v.macsAdded.length > 0 && ` · FDB +${v.macsAdded.join(' +')}`}
              {v.macsRemoved.length > 0 && ` · FDB −${v.macsRemoved.join(' −')}`}
              {v.neighAdded.length > 0 && ` · ARP +${v.neighAdded.join(' +')}`}
              {v.neighRemoved.length > 0 && ` · ARP −${v.neighRemoved.join(' −')}`}
            </li>
          ))}
          {f.opened.map((x) => (
            <li key={`fo/${x.kind}/${x.network}`} data-testid="change-finding" data-change="opened" data-kind={x.kind}>
              finding <strong>{x.kind}</strong> opened ({x.hosts.join(', ')})
            </li>
          ))}
          {f.resolved.map((x) => (
            <li key={`fr/${x.kind}/${x.network}`} data-testid="change-finding" data-change="resolved" data-kind={x.kind}>
              finding <strong>{x.kind}</strong> resolved ({x.hosts.join(', ')})
            </li>
          ))}
          {d.truncated && <li className="muted">… cut at 500 entries per list</li>}
        </ul>
      )}
    </Card>
  );
}
