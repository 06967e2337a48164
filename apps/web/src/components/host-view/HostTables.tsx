'use client';
/**
 * The host page's told-vs-held tables: FDB rows (what the server told the host against what its
 * kernel or br-tun holds) and ARP-responder neighbour rows, with their status summaries.
 * Rows come from `@/host-view/host-diff`; this module only draws them.
 */
import {
  type BrTunFlowTexts,
  type FdbDiffRow,
  type NeighDiffRow,
  type NeighStatus,
  type RowStatus,
  STATUS_LABEL,
  fdbRowTone,
  neighRowTone,
  statusCounts,
} from '@/host-view/host-diff';
import type { NamesIndex } from '@l2scope/domain';
import { PortNameTag } from '../neutron/PortNameTag';
import type { VtepName } from './DriftItems';

/** The caption of a told-vs-held table: its rows per status. */
export function StatusSummary({ rows }: { rows: readonly { status: RowStatus | NeighStatus }[] }) {
  const c = statusCounts(rows);
  const parts = Object.entries(c).map(([k, n]) => `${n} ${STATUS_LABEL[k as RowStatus | NeighStatus]}`);
  return (
    <span className="status-summary muted small">
      {rows.length} rows{parts.length ? `: ${parts.join(', ')}` : ''}
    </span>
  );
}

function VtepCell({ v, name, other }: { v: string | null; name: VtepName; other?: string | null }) {
  if (v === null) return <td className="mono muted">—</td>;
  const host = name(v);
  return (
    <td className={`mono${other !== undefined && other !== null && other !== v ? ' diff' : ''}`}>
      {v}
      {host && <span className="vtep-host"> {host}</span>}
    </td>
  );
}

export function FdbTable({
  rows,
  applied,
  haveHeld,
  excess,
  vtepName,
  heldSource,
  flows,
  ovs,
  network,
  names,
}: {
  rows: FdbDiffRow[];
  applied: boolean | null;
  haveHeld: boolean;
  excess: readonly string[];
  vtepName: VtepName;
  heldSource: string;
  flows: BrTunFlowTexts | null;
  ovs: boolean;
  /** The network of the rows, to name their MACs. */
  network: string;
  /** Names from Neutron's API (null: none polled). */
  names: NamesIndex | null;
}) {
  if (rows.length === 0) return <p className="muted small">No rows on either side.</p>;
  return (
    <table className="grid diff-table" data-testid="fdb-table">
      <thead>
        <tr>
          <th className="st-col" aria-label="status" />
          <th>MAC</th>
          <th>entry</th>
          <th>told VTEP</th>
          <th title={heldSource}>held VTEP</th>
          <th>{flows ? 'held as (br-tun flow)' : 'held as'}</th>
          <th>verdict</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const { tone, text } = fdbRowTone(r, applied, haveHeld, excess);
          return (
            <tr
              key={r.key}
              className={`row-${tone}`}
              data-testid="fdb-row"
              data-status={r.status}
              data-mac={r.mac}
              data-vtep={r.toldVtep ?? r.heldVtep ?? ''}
              data-actual-vtep={r.heldVtep ?? ''}
              data-tone={tone}
            >
              <td className="st-col">
                <StatusIcon tone={tone} />
              </td>
              <td className="mono">
                {r.mac}
                {!r.flood && <PortNameTag port={names?.port(network, r.mac)} />}
              </td>
              <td>{r.flood ? (r.group ? 'flood (group)' : 'flood') : 'unicast'}</td>
              <VtepCell v={r.toldVtep} name={vtepName} />
              <VtepCell v={r.heldVtep} name={vtepName} other={r.toldVtep} />
              {flows && r.heldVtep !== null ? (
                <td className="mono flow-text">{r.flood ? flows.flood.join('\n') : (flows.unicast.get(r.mac) ?? '—')}</td>
              ) : (
                <td className="muted">
                  {r.heldVtep === null
                    ? '—'
                    : r.group
                      ? 'vxlan group'
                      : r.learned
                        ? ovs
                          ? 'learned (table 10)'
                          : 'learned'
                        : ovs
                          ? 'l2pop flow'
                          : 'permanent'}
                </td>
              )}
              <td className={`verdict tone-${tone}`}>{text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function NeighTable({
  rows,
  responder,
  haveHeld,
  flows,
  network,
  names,
}: {
  rows: NeighDiffRow[];
  responder: boolean;
  haveHeld: boolean;
  flows: BrTunFlowTexts | null;
  network: string;
  names: NamesIndex | null;
}) {
  if (rows.length === 0) return <p className="muted small">No neighbour rows on either side.</p>;
  return (
    <table className="grid diff-table" data-testid="neigh-table">
      <thead>
        <tr>
          <th className="st-col" aria-label="status" />
          <th>IP</th>
          <th>told MAC</th>
          <th>held MAC</th>
          {flows && <th>br-tun flow</th>}
          <th>verdict</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const { tone, text } = neighRowTone(r, responder, haveHeld);
          return (
            <tr
              key={r.key}
              className={`row-${tone}`}
              data-testid="neigh-row"
              data-status={r.status}
              data-ip={r.ip}
              data-mac={r.toldMac ?? r.heldMac ?? ''}
              data-actual-mac={r.heldMac ?? ''}
              data-tone={tone}
            >
              <td className="st-col">
                <StatusIcon tone={tone} />
              </td>
              <td className="mono">{r.ip}</td>
              <td className="mono">
                {r.toldMac ?? <span className="muted">—</span>}
                {r.toldMac && <PortNameTag port={names?.port(network, r.toldMac)} />}
              </td>
              <td className={`mono${r.status === 'wrong-mac' ? ' diff' : ''}`}>{r.heldMac ?? <span className="muted">—</span>}</td>
              {flows && <td className="mono flow-text">{flows.responder.get(r.ip) ?? '—'}</td>}
              <td className={`verdict tone-${tone}`}>{text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function StatusIcon({ tone }: { tone: string }) {
  const icon = tone === 'ok' ? '✓' : tone === 'bad' ? '✗' : tone === 'warn' ? '!' : tone === 'info' ? 'i' : '·';
  return (
    <span className={`st-icon tone-${tone}`} aria-hidden>
      {icon}
    </span>
  );
}
