'use client';
/** A host's BUM meter report: per VNI and remote VTEP, frames/s of each class sent (tx) and received (rx). */
import type { BumReport } from '@l2scope/domain';
import { flowRows } from '@/host-view/bum';
import { count, dateTime, perSecond } from '@/lib/format';

/** The report's flows (`data-testid="bum-flow"` rows); `vtepHost` names the remote VTEPs. */
export function BumTable({ report, vtepHost, vni }: { report: BumReport | null; vtepHost: (vtep: string) => string | null; vni?: number | null }) {
  if (!report) {
    return (
      <p className="muted small">
        No BUM report from this host’s node agent yet (the meter runs tcpdump on the underlay; see the agent’s log when reports do not come).
      </p>
    );
  }
  if (report.unavailable) {
    return (
      <p className="text-warn small" data-testid="bum-unavailable">
        BUM meter not running on {report.host}: {report.unavailable}
      </p>
    );
  }
  const rows = flowRows(report).filter((f) => vni === undefined || vni === null || f.vni === vni);
  const reasons = Object.entries(report.undecodableReasons);
  return (
    <div className="bum">
      <div className="bum-meta small muted">
        {report.iface} UDP {report.udpPort} · {dateTime(report.from)} → {dateTime(report.to)} ({report.seconds.toFixed(1)} s) · {count(report.captured)} packets
        captured
        {report.sampled < 1 && <span className="text-warn"> · sampled {(report.sampled * 100).toFixed(1)}% (counts are estimates)</span>}
        {report.captureDropped ? <span className="text-warn"> · {count(report.captureDropped)} dropped by the kernel</span> : null}
        {report.undecodable > 0 && (
          <span className="text-warn" title={reasons.map(([k, v]) => `${k}: ${v}`).join(', ')}>
            {' '}
            · {count(report.undecodable)} undecodable
          </span>
        )}
      </div>
      {rows.length === 0 ? (
        <p className="muted small">No VXLAN traffic in the interval{vni !== undefined && vni !== null ? ` on VNI ${vni}` : ''}.</p>
      ) : (
        <table className="grid bum-table">
          <thead>
            <tr>
              <th>VNI</th>
              <th>remote VTEP</th>
              <th title="tx: sent by this host; rx: received">dir</th>
              <th className="num" title="broadcast + multicast + unknown unicast frames per second">
                BUM
              </th>
              <th className="num">broadcast</th>
              <th className="num">multicast</th>
              <th className="num" title="Unicast frames flooded because the destination MAC was unknown">
                unknown ucast
              </th>
              <th className="num" title="ARP frames (requests / replies), also counted in their class">
                ARP (req / rep)
              </th>
              <th className="num" title="Known unicast, for context (not BUM)">
                unicast
              </th>
              <th className="num">packets</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => {
              const host = vtepHost(f.remoteVtep);
              return (
                <tr
                  key={`${f.vni}|${f.remoteVtep}|${f.direction}|${f.outerMulticast}`}
                  data-testid="bum-flow"
                  data-vni={f.vni}
                  data-remote={f.remoteVtep}
                  data-direction={f.direction}
                  data-arp={f.arp}
                  data-bum={f.broadcast + f.multicast + f.unknownUnicast}
                  className={f.rates.bum > 0 ? 'has-bum' : undefined}
                >
                  <td className="mono">{f.vni}</td>
                  <td className="mono">
                    {f.remoteVtep}
                    {f.outerMulticast && <span className="chip group-chip">multicast</span>}
                    {host && <span className="muted"> ({host})</span>}
                  </td>
                  <td>{f.direction}</td>
                  <td className="num strong" title={`${count(f.broadcast + f.multicast + f.unknownUnicast)} frames`}>
                    {perSecond(f.rates.bum)}
                  </td>
                  <Rate v={f.rates.broadcast} n={f.broadcast} />
                  <Rate v={f.rates.multicast} n={f.multicast} />
                  <Rate v={f.rates.unknownUnicast} n={f.unknownUnicast} />
                  <td className="num" title={`${count(f.arp)} ARP frames: ${count(f.arpRequest)} requests, ${count(f.arpReply)} replies`}>
                    {perSecond(f.rates.arp)}{' '}
                    <span className="muted">
                      ({count(f.arpRequest)} / {count(f.arpReply)})
                    </span>
                  </td>
                  <Rate v={f.rates.unicast} n={f.unicast} />
                  <td className="num muted">{count(f.packets)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Rate({ v, n }: { v: number; n: number }) {
  return (
    <td className={`num${n === 0 ? ' muted' : ''}`} title={`${count(n)} frames`}>
      {perSecond(v)}
    </td>
  );
}
