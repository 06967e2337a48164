/**
 * How the dashboard words a port named by Neutron's API (pure, unit-tested): a short label for a
 * row and a tooltip with everything known (port id, instance, owner, network, project).
 */
import type { PortName } from '@l2scope/domain';

/** `compute:nova` -> `instance`, `network:dhcp` -> `DHCP`, `network:router_interface` -> `router`, ... */
export function ownerLabel(owner: string): string {
  if (owner.startsWith('compute:')) return 'instance';
  if (owner === 'network:dhcp') return 'DHCP';
  if (owner.startsWith('network:router')) return 'router';
  if (owner === 'network:floatingip') return 'floating IP';
  return owner || 'no owner';
}

/** The short label of a port: its name, else `<owner> <device id prefix>`, else its id prefix. */
export function portLabel(p: PortName): string {
  if (p.name) return p.name;
  if (p.deviceId) return `${ownerLabel(p.deviceOwner)} ${p.deviceId.slice(0, 8)}`;
  return `port ${p.portId.slice(0, 8)}`;
}

/** The tooltip of a port: one line per fact. */
export function portTitle(p: PortName): string {
  return [
    `port ${p.portId}${p.name ? ` (${p.name})` : ''}, ${p.status || 'status ?'}`,
    p.deviceId ? `${ownerLabel(p.deviceOwner)} ${p.deviceId} (${p.deviceOwner || 'no device_owner'})` : `no device (${p.deviceOwner || 'no device_owner'})`,
    `network ${p.networkName ?? '?'} ${p.networkId}`,
    `project ${p.projectName ?? p.projectId ?? '?'}${p.projectName && p.projectId ? ` ${p.projectId}` : ''}`,
    `host ${p.host ?? 'unbound'}${p.ips.length ? `, ${p.ips.join(', ')}` : ''}`,
  ].join('\n');
}

const MAC_RE = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi;

/** The distinct MACs in a text (a message body, a decoded tree as JSON), lower-cased, in first-seen order, at most `max`. */
export function macsIn(text: string, max = 200): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(MAC_RE)) {
    out.add(m[0].toLowerCase());
    if (out.size >= max) break;
  }
  return [...out];
}
