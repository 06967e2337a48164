'use client';
/**
 * The host page's "datapath" card for an OVS host: the path of one VM port's frames, as the domain's
 * `snapshotDatapath` reads it from the node snapshot (tap -> qbr -> qvb/qvo -> br-int with its lvid
 * -> patch ports -> br-tun tables 0/2/20/22 -> tunnel ports, and back through tables 3/4, 10), and
 * the lvid <-> segment findings. Thin: the path and the verdicts are the domain's.
 */
import { type DatapathHop, type FullNodeSnapshot, snapshotDatapath } from '@l2scope/domain';
import { useMemo, useState } from 'react';
import { Card } from './HostViewFrame';

function Hops({ hops, testid }: { hops: DatapathHop[]; testid: string }) {
  return (
    <ol className="dp-hops" data-testid={testid}>
      {hops.map((h, i) => (
        <li key={i} className={`dp-hop dp-${h.at}${h.ok ? '' : ' dp-bad'}`} data-ok={h.ok}>
          <span className="dp-at">{h.at}</span>
          <span className="dp-name mono">{h.name}</span>
          <span className="dp-detail small">{h.detail}</span>
        </li>
      ))}
    </ol>
  );
}

/** The datapath card; renders nothing for a host without the snapshot's `openvswitch.host` section. */
export function DatapathCard({ snapshot }: { snapshot: FullNodeSnapshot | null }) {
  const dp = useMemo(() => (snapshot ? snapshotDatapath(snapshot) : null), [snapshot]);
  const [chosen, setChosen] = useState<string | null>(null);
  if (!dp) return null;
  const port = dp.ports.find((p) => p.port === chosen) ?? dp.ports[0];
  return (
    <Card
      title="datapath"
      testid="ovs-datapath"
      aside={
        dp.ports.length > 0 && (
          <label className="small">
            port{' '}
            <select aria-label="datapath port" value={port?.port ?? ''} onChange={(e) => setChosen(e.target.value)}>
              {dp.ports.map((p) => (
                <option key={p.port} value={p.port}>
                  {p.port} · lvid {p.lvid ?? '—'}
                  {p.segment ? ` · ${p.segment.tunnelType} ${p.segment.vni}` : ''}
                </option>
              ))}
            </select>
          </label>
        )
      }
    >
      {!port ? (
        <p className="muted">No VM port on br-int.</p>
      ) : (
        <>
          <p className="small muted">
            {port.hybrid ? 'hybrid firewall (qbr / qvb / qvo)' : 'tap on br-int (no hybrid firewall)'} · local VLAN {port.lvid ?? 'none'}
            {port.segment ? ` ↔ ${port.segment.tunnelType} ${port.segment.vni} (0x${port.segment.vni.toString(16)})` : ' ↔ no segment'}
          </p>
          <h4 className="small">VM → tunnels</h4>
          <Hops hops={port.outbound} testid="datapath-out" />
          <h4 className="small">tunnels → VM</h4>
          {port.inbound.length ? (
            <Hops hops={port.inbound} testid="datapath-in" />
          ) : (
            <p className="muted small">No table 3/4/6 flow maps a segment to this lvid.</p>
          )}
          {port.findings.length > 0 && (
            <ul className="dp-findings" data-testid="datapath-findings">
              {port.findings.map((f, i) => (
                <li key={i} className="text-bad">
                  <span className="mono">{f.kind}</span> {f.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}
