'use client';
/** Side panel of the selected host: agent details and, per network, what the server told it. */
import { useEffect } from 'react';
import Link from 'next/link';
import { dateTime, hostHref, plural } from '@/lib/format';
import { type HostNetworkDetails, useHostDetails } from '@/hooks/use-host-details';
import { dispatch, useL2 } from '@/state/store';
import { useNeutronNames } from '@/hooks/use-neutron-names';
import { PortNameTag } from '../neutron/PortNameTag';

const yesNo = (v: boolean | null, unknown = 'unknown') => (v === null ? unknown : v ? 'yes' : 'no');

export function HostPanel() {
  const selected = useL2((s) => s.ui.selectedHost);
  const details = useHostDetails();
  const close = () => dispatch({ type: 'ui/selectHost', id: null });

  useEffect(() => {
    if (!selected) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') dispatch({ type: 'ui/selectHost', id: null });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selected]);

  if (!selected) return null;
  if (!details) {
    return (
      <aside className="side-panel" data-testid="host-panel" aria-label="Host details">
        <div className="panel-head">
          <h2>{selected}</h2>
          <button type="button" className="icon-btn" onClick={close} aria-label="Close host details" data-testid="host-panel-close">
            ✕
          </button>
        </div>
        <p className="muted pad">This host is no longer in the model (its last entry was removed).</p>
      </aside>
    );
  }
  const h = details.host;
  const lb = h.agentType?.toLowerCase().includes('linux bridge') ?? false;
  return (
    <aside className="side-panel" data-testid="host-panel" data-host={h.id} aria-label={`Host details: ${h.name ?? h.vtep ?? h.id}`}>
      <div className="panel-head">
        <h2 title={h.id}>{h.name ?? h.vtep ?? h.id}</h2>
        {h.name && (
          <Link
            href={hostHref(h.name)}
            prefetch={false}
            className="btn small"
            data-testid="host-page-link"
            title="Told vs held: the host's FDB and neighbour tables, drift, flood lists, BUM, convergence"
          >
            Host page →
          </Link>
        )}
        <button type="button" className="icon-btn" onClick={close} aria-label="Close host details" data-testid="host-panel-close">
          ✕
        </button>
      </div>
      <div className="panel-body">
        <dl className="kv">
          <dt>VTEP</dt>
          <dd className="mono">{h.vtep ?? '—'}</dd>
          <dt>Agent</dt>
          <dd>{h.agentType ?? (h.name ? 'unknown' : 'no agent report yet (known from casts only)')}</dd>
          {h.binary && (
            <>
              <dt>Binary</dt>
              <dd className="mono">{h.binary}</dd>
            </>
          )}
          <dt>l2_population</dt>
          <dd className={h.l2population === false ? 'text-warn' : undefined}>
            {h.l2population === null ? 'unknown' : h.l2population ? 'true' : 'false — flood-and-learn: told by the server, not applied'}
          </dd>
          <dt>arp_responder</dt>
          <dd>{lb ? 'not reported by the Linux bridge agent (see the proxy flag of vxlan-<VNI> on the node)' : yesNo(h.arpResponder)}</dd>
          {h.distributedRouting !== null && (
            <>
              <dt>DVR</dt>
              <dd>{yesNo(h.distributedRouting)}</dd>
            </>
          )}
          <dt>Tunnel types</dt>
          <dd>{h.tunnelTypes.length ? h.tunnelTypes.join(', ') : '—'}</dd>
          <dt>Devices</dt>
          <dd>{h.devices ?? '—'}</dd>
          <dt>Agent started</dt>
          <dd>{dateTime(h.startedAt)}</dd>
          <dt>Last report</dt>
          <dd>{dateTime(h.lastReportAt)}</dd>
        </dl>

        <h3 className="section-title">Told by the server ({plural(details.networks.length, 'network')} in the agent’s network_map)</h3>
        {details.networks.length === 0 && <p className="muted">Not a member of any network: nothing to apply.</p>}
        {details.networks.map((n) => (
          <NetworkTold key={n.network} n={n} hostId={h.id} />
        ))}
      </div>
    </aside>
  );
}

function NetworkTold({ n, hostId }: { n: HostNetworkDetails; hostId: string }) {
  const names = useNeutronNames();
  const unicast = n.fdb.filter((r) => !r.flood);
  const applied =
    n.applied === null
      ? { cls: 'badge l2pop-unknown', text: 'applied: unknown' }
      : n.applied
        ? { cls: 'badge l2pop-on', text: 'applied' }
        : { cls: 'badge l2pop-off', text: 'not applied (l2pop off)' };
  return (
    <details className="told" open data-testid={`told-${hostId}-${n.network}`}>
      <summary>
        <span className="told-title">{n.vni !== null ? `VNI ${n.vni}` : 'VNI ?'}</span>
        <span className="mono small muted">{n.bridge ?? n.network.slice(0, 8)}</span>
        {names?.network(n.network)?.name && <span className="small">{names.network(n.network)!.name}</span>}
        {n.vxlan && <span className="mono small muted">{n.vxlan}</span>}
        <span className={applied.cls} data-testid={`told-applied-${hostId}-${n.network}`}>
          {applied.text}
        </span>
      </summary>
      <div className="told-body">
        <div className="small muted">
          network <span className="mono">{n.network}</span>
          <br />
          joined {dateTime(n.joinedAt)}
          {n.directedAt !== null && <> · full FDB (host-directed cast) {dateTime(n.directedAt)}</>}
        </div>

        <h4>Local ports ({n.ports.length})</h4>
        {n.ports.length === 0 ? (
          <p className="muted small">none announced</p>
        ) : (
          <table className="mini">
            <tbody>
              {n.ports.map((p) => (
                <tr key={p.mac}>
                  <td className="mono">{p.mac}</td>
                  <td className="mono">{p.ips.join(', ') || '—'}</td>
                  <td>
                    <PortNameTag port={names?.port(n.network, p.mac)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

        <h4>Flood list ({n.floodList.length}) — BUM replicated to</h4>
        {n.floodList.length === 0 ? (
          <p className="muted small">empty: BUM of this network reaches no remote VTEP</p>
        ) : (
          <ul className="flood-list">
            {n.floodList.map((v) => (
              <li key={v} className="mono">
                {v} <span className="muted">({n.vtepTitles[v]})</span>
              </li>
            ))}
          </ul>
        )}

        <h4>
          FDB rows ({n.fdb.length}: {n.floodList.length} flood, {unicast.length} unicast)
        </h4>
        {n.fdb.length === 0 ? (
          <p className="muted small">none</p>
        ) : (
          <table className="mini" data-testid={`told-fdb-${hostId}-${n.network}`}>
            <thead>
              <tr>
                <th>MAC</th>
                <th>dst VTEP</th>
                <th>entry</th>
              </tr>
            </thead>
            <tbody>
              {n.fdb.map((r) => (
                <tr key={`${r.mac}-${r.vtep}`} className={r.flood ? 'row-flood' : undefined}>
                  <td className="mono">{r.mac}</td>
                  <td className="mono" title={n.vtepTitles[r.vtep]}>
                    {r.vtep}
                  </td>
                  <td>{r.flood ? 'flood' : 'unicast'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

        <h4>Neighbour rows ({n.neigh.length}) — ARP responder data</h4>
        {n.neigh.length === 0 ? (
          <p className="muted small">none</p>
        ) : (
          <table className="mini">
            <tbody>
              {n.neigh.map((r) => (
                <tr key={r.ip}>
                  <td className="mono">{r.ip}</td>
                  <td className="mono">lladdr {r.mac}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </details>
  );
}
