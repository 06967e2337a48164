'use client';
/** One host's flood list on one network: each recipient with its class (the analysis' lists), copies per BUM frame. */
import { type FloodList, isMulticastIp } from '@l2scope/domain';
import { type CellState, cellState } from '@/host-view/flood-matrix';
import { compareIp } from '@/lib/format';

/** Legend text per recipient class (shared with the network matrix). */
export const CELL_TEXT: Record<CellState, { label: string; title: string }> = {
  both: { label: 'replicated', title: 'ideal recipient (has ports on the network), and the host replicates BUM to it' },
  expected: { label: 'via group', title: 'ideal recipient reached through the multicast group (flood-and-learn), no unicast copy' },
  actual: { label: 'flooded', title: 'recipient the host floods to that is not a VTEP with ports (its multicast group)' },
  excess: { label: 'excess', title: 'wasted copy: outside the ideal list, or a group made redundant by unicast copies' },
  missing: { label: 'missing', title: 'ideal recipient no copy reaches: BUM (DHCP, ARP) to it is lost' },
  none: { label: '—', title: 'not a recipient' },
};

/** The list (`data-testid="flood-list"`), recipients as coloured chips. */
export function FloodListView({ network, f, vtepHost }: { network: string; f: FloodList; vtepHost: (vtep: string) => string | null }) {
  const all = [...new Set([...f.actual, ...f.ideal, ...f.excess, ...f.missing])].sort(
    (a, b) => Number(isMulticastIp(a)) - Number(isMulticastIp(b)) || compareIp(a, b),
  );
  const problems = f.missing.length + f.excess.length;
  return (
    <div
      className={`flood-view${problems ? ' has-problems' : ''}`}
      data-testid="flood-list"
      data-network={network}
      data-actual={f.actual.join(',')}
      data-ideal={f.ideal.join(',')}
      data-excess={f.excess.join(',')}
      data-missing={f.missing.join(',')}
      data-copies={f.copies}
    >
      <div className="flood-sum small">
        <strong>{f.copies}</strong> {f.copies === 1 ? 'copy' : 'copies'} per BUM frame · ideal {f.ideal.length} · reached {f.reach.length}
        {f.missing.length > 0 && <span className="text-bad"> · {f.missing.length} missing</span>}
        {f.excess.length > 0 && <span className="text-excess"> · {f.excess.length} excess</span>}
        {problems === 0 && <span className="text-ok"> · matches the ideal list</span>}
      </div>
      <div className="flood-chips">
        {all.length === 0 && <span className="muted small">no recipients (no other VTEP has ports on this network)</span>}
        {all.map((v) => {
          const { state, viaGroup } = cellState(f, v, false);
          const host = vtepHost(v);
          return (
            <span key={v} className={`fchip st-${state}`} title={`${v}${host ? ` (${host})` : ''}: ${CELL_TEXT[state].title}`} data-vtep={v} data-state={state}>
              <span className="mono">{v}</span>
              {host && <span className="fchip-host">{host}</span>}
              {isMulticastIp(v) && <span className="fchip-host">group</span>}
              <span className="fchip-state">{CELL_TEXT[state].label}</span>
              {viaGroup && state !== 'expected' && <span className="fchip-host">via group</span>}
            </span>
          );
        })}
      </div>
    </div>
  );
}
