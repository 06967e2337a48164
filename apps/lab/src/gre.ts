/**
 * `lab up` adding or dropping `--gre` on a running lab (docs/lab.md#gre): the OVS agents'
 * `[agent] tunnel_types` is edited in place (every other key of the ini kept: it is `lab mode`'s and
 * l2scope's toggles' to edit) and each running OVS agent whose ini changed is restarted, since the
 * agent reads `tunnel_types` only at start. Dropping also deletes the GRE VMs and the GRE network
 * first, then any `gre-` port the restarted agents no longer manage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseOvsTunnelPorts } from '@l2scope/domain';
import { agentIniPath } from './agents';
import { neutron } from './api';
import { readIniGre, setIniGre } from './config';
import { restartAgent } from './modes';
import { ovsVsctl } from './ovs';
import type { HostState, LabState } from './state';
import { deleteVm } from './vms';

/**
 * Point every OVS host's ini at the lab's GRE setting (`tunnel_types = vxlan,gre` while `s.gre` is
 * set, else `vxlan`), editing only the inis that disagree.
 * @returns the hosts whose ini was edited (their running agents still use the old tunnel types)
 */
export function retypeOvsInis(s: LabState): HostState[] {
  const want = s.gre !== undefined;
  const edited: HostState[] = [];
  for (const h of Object.values(s.hosts)) {
    if (h.kind !== 'ovs') continue;
    const file = agentIniPath(h);
    const text = readFileSync(file, 'utf8');
    if (readIniGre(text) === want) continue;
    writeFileSync(file, setIniGre(text, want));
    edited.push(h);
  }
  return edited;
}

/** Restart the given hosts' agents in parallel (stop by PID, start, wait for the new `started_at`). */
export async function restartAgents(s: LabState, hosts: HostState[]): Promise<void> {
  await Promise.all(hosts.map((h) => restartAgent(s, h)));
}

/**
 * The first half of dropping `--gre`: delete every VM of the GRE network (the agents then reclaim
 * the network's local VLAN and its `gre-` ports) and the GRE network with its subnet; `s.gre` is
 * cleared.
 */
export async function dropGreNetwork(s: LabState, log: (s: string) => void): Promise<void> {
  for (const vm of Object.values(s.vms).filter((v) => v.network === 'gre')) {
    await deleteVm(s, vm, s.hosts);
    log(`  deleted ${vm.name} (GRE network)`);
  }
  if (s.gre?.networkId) {
    await neutron('DELETE', `/v2.0/networks/${s.gre.networkId}`);
    log(`  deleted the GRE network ${s.gre.networkId}`);
  }
  delete s.gre;
}

/**
 * Delete the `gre-` ports left on the OVS hosts' br-tun once their agents run without GRE (an agent
 * only removes the tunnel ports of the types it runs).
 * @returns the deleted ports, as `<host>:<port>`
 */
export async function deleteGrePorts(s: LabState): Promise<string[]> {
  const out: string[] = [];
  for (const h of Object.values(s.hosts)) {
    if (h.kind !== 'ovs') continue;
    const r = await ovsVsctl(h, ['--format=json', '--columns=name,ofport,type,options', 'list', 'Interface']);
    for (const p of parseOvsTunnelPorts(String(r.stdout)).filter((x) => x.type === 'gre')) {
      await ovsVsctl(h, ['--if-exists', 'del-port', 'br-tun', p.name]);
      out.push(`${h.name}:${p.name}`);
    }
  }
  return out;
}
