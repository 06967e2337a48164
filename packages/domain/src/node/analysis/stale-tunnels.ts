/**
 * `stale_tunnel_port`: a tunnel port on an Open vSwitch host's br-tun towards a VTEP that no l2pop
 * entry of the host's networks needs, while the host runs l2pop.
 *
 * How they come about (neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py, Zed):
 * with `l2_population` off, `tunnel_sync` builds a full mesh: it creates a port to every endpoint
 * the server returns from `tunnel_sync` (type_tunnel.py `TunnelRpcCallbackMixin.tunnel_sync`: every
 * endpoint registered by an agent that called `tunnel_sync`, i.e. other OVS agents), and
 * `tunnel_update` adds new ones. With l2pop on, ports are made per l2pop entry (`fdb_add` ->
 * `setup_tunnel_port`) and deleted only when l2pop removes the last entry using one
 * (`cleanup_tunnel_port`). A restart does not delete br-tun's ports (`setup_tunnel_br` only adds
 * the patch port) and `cleanup_stale_flows` only deletes flows: so after l2pop goes back on, the
 * full-mesh ports to VTEPs without an l2pop entry stay, with no flow using them. Pure.
 */
import type { FullNodeSnapshot } from '../snapshot';
import { type Evidence, ev, tunnelText } from './evidence';
import type { Finding } from './findings';

/** An IPv4 or IPv6 address (a tunnel port's `remote_ip` may also be `flow`). */
const isIp = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));

/** What {@link staleTunnelFinding} reads of one host. */
export interface StaleTunnelInput {
  host: string;
  /** The host's own VTEP (never a stale port's remote). */
  vtep: string | null;
  /** The host runs l2pop (`HostMode.l2pop`); only then are ports without an l2pop entry stale. */
  l2pop: boolean | null;
  snap: FullNodeSnapshot | null;
  /**
   * VTEPs with ports (flood entry or MACs announced) on the networks where the host has a local
   * VLAN or ports: the remotes l2pop makes tunnel ports for (`fdb_add` acts only on networks the
   * agent has a local VLAN for).
   */
  needed: ReadonlySet<string>;
  /**
   * Every network the host holds is known to the model: else l2scope cannot tell which VTEPs l2pop
   * needs (casts not captured), and reports nothing.
   */
  complete: boolean;
}

/** The finding's `network` for a host: br-tun is host-wide, not per network. */
export const staleTunnelScope = (host: string) => `br-tun:${host}`;

/**
 * The `stale_tunnel_port` finding of one Open vSwitch host, or null: its tunnel ports whose
 * `remote_ip` is neither its own VTEP nor in `needed`, when it runs l2pop, its br-tun flows were
 * read, and the model knows all its networks. Evidence: each port as `ovs-vsctl` lists it, and
 * whether a table 0 flow (in_port -> the tunnel's table) or a table 20/22 output still uses it.
 */
export function staleTunnelFinding(i: StaleTunnelInput): Finding | null {
  const ovs = i.snap?.openvswitch;
  if (i.snap?.agent.type !== 'openvswitch' || !ovs?.brTun || i.l2pop !== true || !i.complete) return null;
  const bt = ovs.brTun;
  const stale = ovs.tunnelPorts.filter((p) => isIp(p.remoteIp) && p.remoteIp !== i.vtep && !i.needed.has(p.remoteIp));
  if (stale.length === 0) return null;
  const outputs = new Set<number>([...bt.flood.flatMap((f) => f.ofports), ...bt.unicast.map((u) => u.ofport).filter((p): p is number => p !== null)]);
  const used = (ofport: number | null) => ofport !== null && (bt.tunnelOfports.includes(ofport) || outputs.has(ofport));
  const evidence: Evidence[] = [];
  for (const p of stale.slice(0, 50)) {
    evidence.push(ev(i.host, 'openvswitch.tunnelPorts', tunnelText(p)));
    const inTable0 = p.ofport !== null && bt.tunnelOfports.includes(p.ofport);
    const out = p.ofport !== null && outputs.has(p.ofport);
    evidence.push(
      ev(
        i.host,
        'openvswitch.brTun',
        p.ofport === null
          ? `${p.name}: ofport unknown (flows not matched)`
          : `table=0 in_port=${p.ofport}: ${inTable0 ? 'present' : 'absent'}; table 20/22 output:${p.ofport}: ${out ? 'present' : 'absent'}`,
      ),
    );
  }
  const unused = stale.filter((p) => !used(p.ofport)).length;
  const names = stale.slice(0, 20).map((p) => `${p.name} -> ${p.remoteIp}`);
  return {
    kind: 'stale_tunnel_port',
    network: staleTunnelScope(i.host),
    vni: null,
    hosts: [i.host],
    detail:
      `${i.host} runs l2pop, yet br-tun holds ${stale.length} tunnel port${stale.length === 1 ? '' : 's'} to VTEPs no l2pop entry of its networks needs: ` +
      `${names.join(', ')}${stale.length > names.length ? `, and ${stale.length - names.length} more` : ''} ` +
      `(${unused === stale.length ? 'no flow uses them' : `${stale.length - unused} still used by a flow`}). ` +
      'They are left from flood-and-learn: with l2_population off, tunnel_sync builds a full mesh to every OVS endpoint, and neither a restart nor l2pop deletes a port that l2pop never used. ' +
      (unused === stale.length
        ? 'Harmless to traffic while no flow uses them; delete each with `ovs-vsctl del-port br-tun <name>`.'
        : 'A flow that still uses one was written without an l2pop entry (or the entry was removed while the agent was down): restart the agent, then delete the ports no flow uses with `ovs-vsctl del-port br-tun <name>`.'),
    evidence,
  };
}
