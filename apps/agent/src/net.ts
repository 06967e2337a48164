/** The host's addresses (`ip -j addr show`), to find the underlay interface and tell tx from rx. */
import { runCommand } from './exec';

/** One interface and its addresses. */
export interface IfaceAddrs {
  ifname: string;
  addresses: string[];
}

/** Parse `ip -j addr show` output. @throws SyntaxError on bad JSON */
export function parseIpAddr(text: string): IfaceAddrs[] {
  const rows = JSON.parse(text.trim() || '[]') as { ifname?: string; addr_info?: { local?: string }[] }[];
  return rows
    .filter((r) => typeof r.ifname === 'string')
    .map((r) => ({ ifname: r.ifname!, addresses: (r.addr_info ?? []).map((a) => a.local).filter((a): a is string => typeof a === 'string') }));
}

/** Every interface with its addresses; [] when `ip` fails. */
export async function listAddresses(env?: NodeJS.ProcessEnv): Promise<IfaceAddrs[]> {
  const r = await runCommand(['ip', '-j', 'addr', 'show'], { env, timeoutMs: 5000 });
  if (!r.ok) return [];
  try {
    return parseIpAddr(r.stdout);
  } catch {
    return [];
  }
}

/** The interface holding `ip`, if any. */
export function ifaceOwning(ifaces: IfaceAddrs[], ip: string): IfaceAddrs | undefined {
  return ifaces.find((i) => i.addresses.includes(ip));
}
