'use client';
/**
 * The ports Neutron's API lists on a network: MAC, port, instance / owner, host, project, status,
 * and whether l2pop announced the MAC (the model holds it). Rows are the domain's `PortName`s.
 */
import type { NamesIndex, PortName } from '@l2scope/domain';
import { dateTime } from '@/lib/format';
import { ownerLabel, portTitle } from '@/neutron/port-label';
import { Card } from '../host-view/HostViewFrame';

export function NetworkPorts({ network, names }: { network: string; names: NamesIndex | null }) {
  if (!names) return null;
  const ports = names.portsOf(network);
  return (
    <Card
      title={`Ports (${ports.length}) from Neutron's API`}
      aside={<span className="small muted">read {dateTime(names.fetchedAt)}</span>}
      testid="network-ports"
    >
      {ports.length === 0 ? (
        <p className="muted small">Neutron's API lists no port on this network.</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>MAC</th>
              <th>IP</th>
              <th>port</th>
              <th>device</th>
              <th>host</th>
              <th>project</th>
              <th>status</th>
              <th title="The l2pop model holds this MAC on this network (an add_fdb_entries named it)">l2pop</th>
            </tr>
          </thead>
          <tbody>
            {ports.map((p) => (
              <PortRow key={p.portId} p={p} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function PortRow({ p }: { p: PortName }) {
  return (
    <tr data-testid="network-port" data-mac={p.mac} data-port-id={p.portId} data-device-id={p.deviceId} title={portTitle(p)}>
      <td className="mono">{p.mac}</td>
      <td className="mono">{p.ips.join(', ') || '—'}</td>
      <td>
        {p.name || <span className="muted">unnamed</span>} <span className="mono muted small">{p.portId}</span>
      </td>
      <td>
        {ownerLabel(p.deviceOwner)} <span className="mono muted small">{p.deviceId || '—'}</span>
      </td>
      <td>{p.host ?? <span className="muted">unbound</span>}</td>
      <td>{p.projectName ?? <span className="mono small">{p.projectId ?? '—'}</span>}</td>
      <td className={p.status === 'ACTIVE' ? '' : 'text-warn'}>{p.status}</td>
      <td className={p.announced ? 'text-ok' : 'muted'}>{p.announced ? '✓' : '—'}</td>
    </tr>
  );
}
