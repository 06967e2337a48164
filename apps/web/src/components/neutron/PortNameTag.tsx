'use client';
/** A port's name from Neutron's API beside a MAC: short label, full facts in the tooltip; nothing when the API does not know it. */
import type { PortName } from '@l2scope/domain';
import { portLabel, portTitle } from '@/neutron/port-label';

export function PortNameTag({ port }: { port: PortName | undefined }) {
  if (!port) return null;
  return (
    <span className="port-name" title={portTitle(port)} data-testid="port-name" data-port-id={port.portId} data-device-id={port.deviceId}>
      {portLabel(port)}
    </span>
  );
}
