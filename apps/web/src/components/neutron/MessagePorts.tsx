'use client';
/** The ports a message's MACs belong to, as Neutron's API names them (the inspector's detail). Nothing when no API is polled or no MAC is known. */
import { useMemo } from 'react';
import { useNeutronNames } from '@/hooks/use-neutron-names';
import { macsIn, portLabel, portTitle } from '@/neutron/port-label';

export function MessagePorts({ decoded }: { decoded: unknown }) {
  const names = useNeutronNames();
  const ports = useMemo(() => {
    if (!names || decoded === null || decoded === undefined) return [];
    return macsIn(JSON.stringify(decoded)).flatMap((mac) => names.portsByMac(mac));
  }, [names, decoded]);
  if (ports.length === 0) return null;
  return (
    <details open className="section" data-testid="message-ports">
      <summary>Ports (Neutron API)</summary>
      <table className="mini">
        <tbody>
          {ports.map((p) => (
            <tr key={p.portId} title={portTitle(p)} data-testid="message-port" data-mac={p.mac} data-port-id={p.portId}>
              <td className="mono">{p.mac}</td>
              <td>{portLabel(p)}</td>
              <td className="mono small muted">{p.deviceId || p.portId}</td>
              <td className="small">{p.networkName ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
