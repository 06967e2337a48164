import ini from 'ini';
import { describe, expect, it } from 'vitest';
import { DVR_BASE_MAC, renderOvsIni, renderServerConf } from '../src/config';
import { dvrHostMode, dvrMountPaths, hostExecArgv, isDvrHost, l3AgentMode, renderL3AgentIni } from '../src/dvr';
import { nodeAgentArgv, NODE_AGENT_MAIN } from '../src/l2scope-agents';
import { REPO_ROOT } from '../src/l2scope';
import { plannedHosts } from '../src/lab';
import { LAB_ROOT, LAB_RUN } from '../src/paths';
import type { HostState } from '../src/state';
import { rankOf } from '../src/teardown';

const lb: HostState = { name: 'controller', kind: 'linuxbridge', index: 0, underlayIp: '10.0.20.11', ns: 'l2lab-controller', mode: { l2pop: true, arp: true } };
const ovs2: HostState = { name: 'ovs2', kind: 'ovs', index: 11, underlayIp: '10.0.20.22', ns: 'l2lab-ovs2', mode: { l2pop: true, arp: true } };
const AMQP = 'amqp://guest:guest@127.0.0.1:5672/';

describe('DVR lab config (docs/lab.md#dvr)', () => {
  it('the server loads the router plugin with distributed routers and a DVR MAC base only for --dvr', () => {
    const dvr = ini.parse(renderServerConf({ transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/', apiPort: 9696, dvr: true }));
    expect(dvr.DEFAULT.service_plugins).toBe('router');
    expect(dvr.DEFAULT.router_distributed).toBe(true);
    expect(dvr.DEFAULT.dvr_base_mac).toBe(DVR_BASE_MAC);
    // it must differ from base_mac (neutron/conf/db/dvr_mac_db.py)
    expect(DVR_BASE_MAC).not.toBe('fa:16:3e:00:00:00');
    const plain = ini.parse(renderServerConf({ transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/', apiPort: 9696 }));
    expect(plain.DEFAULT.service_plugins).toBe('');
    expect(plain.DEFAULT.router_distributed).toBeUndefined();
  });

  it('the OVS agent gets enable_distributed_routing in [agent] beside l2pop and the ARP responder', () => {
    const c = ini.parse(renderOvsIni('10.0.20.22', { l2pop: true, arp: true }, true, true));
    expect(c.agent).toMatchObject({ enable_distributed_routing: true, l2_population: true, arp_responder: true, tunnel_types: 'vxlan,gre' });
    expect(ini.parse(renderOvsIni('10.0.20.22', { l2pop: true, arp: true }, true)).agent.enable_distributed_routing).toBeUndefined();
  });

  it('ovs1 runs its L3 agent as dvr_snat, the other OVS hosts as dvr, on OVS through veths', () => {
    expect([0, 1, 2, 3].map(l3AgentMode)).toEqual(['dvr_snat', 'dvr', 'dvr', 'dvr']);
    const c = ini.parse(renderL3AgentIni('dvr'));
    expect(c.DEFAULT).toMatchObject({ interface_driver: 'openvswitch', ovs_use_veth: true, agent_mode: 'dvr', enable_metadata_proxy: false });
    expect(c.ovs.ovsdb_connection).toBe('tcp:127.0.0.1:6640');
  });

  it('a DVR host runs l2pop and the ARP responder (the agent forces it and reports it), and refuses l2pop off', () => {
    expect(dvrHostMode({ l2pop: true, arp: false })).toEqual({ l2pop: true, arp: true });
    expect(() => dvrHostMode({ l2pop: false, arp: true })).toThrow(/l2_population/);
  });

  it('only OVS hosts of a DVR lab are DVR hosts', () => {
    expect(isDvrHost({ dvr: { routerId: null } }, ovs2)).toBe(true);
    expect(isDvrHost({ dvr: { routerId: null } }, lb)).toBe(false);
    expect(isDvrHost({}, ovs2)).toBe(false);
    expect(plannedHosts({ hosts: 1, ovsHosts: 2 }).map((h) => h.name)).toEqual(['controller', 'ovs1', 'ovs2']);
  });
});

describe("a DVR host's own mount namespace (docs/lab.md#dvr-mount-ns)", () => {
  it('is a file under the run dir; its /run/netns view a directory per host under the lab root', () => {
    expect(dvrMountPaths('ovs2')).toEqual({ mntDir: `${LAB_RUN}/mnt`, mntFile: `${LAB_RUN}/mnt/ovs2`, netnsDir: `${LAB_ROOT}/netns/ovs2` });
  });

  it('a DVR host runs programs through nsenter into its mount and network namespaces, back in the working directory', () => {
    expect(hostExecArgv(ovs2, true, ['ip', 'netns', 'list'], '/srv')).toEqual([
      'nsenter',
      `--mount=${LAB_RUN}/mnt/ovs2`,
      '--net=/run/netns/l2lab-ovs2',
      '--wd=/srv',
      '--',
      'ip',
      'netns',
      'list',
    ]);
    expect(hostExecArgv(lb, false, ['true'])).toEqual(['ip', 'netns', 'exec', 'l2lab-controller', 'true']);
  });

  it("the node agent of a DVR host runs in that mount namespace (it reads its own qrouter-*); a Linux bridge host's as before", () => {
    const a = nodeAgentArgv({ amqpUrl: AMQP, dvr: { routerId: 'r' } }, ovs2, {}, '/usr/bin/node');
    expect(a.slice(0, 9)).toEqual([
      'nsenter',
      `--mount=${LAB_RUN}/mnt/ovs2`,
      '--net=/run/netns/l2lab-ovs2',
      `--wd=${REPO_ROOT}`,
      '--',
      '/usr/bin/node',
      '--import',
      'tsx',
      NODE_AGENT_MAIN,
    ]);
    expect(nodeAgentArgv({ amqpUrl: AMQP, dvr: { routerId: 'r' } }, lb, {}, '/usr/bin/node').slice(0, 4)).toEqual(['ip', 'netns', 'exec', 'l2lab-controller']);
  });

  it('L3 agents stop with the L2 agents, before OVS and the server', () => {
    expect(rankOf('l3agent:ovs1')).toBe(rankOf('agent:ovs1'));
    expect(rankOf('l3agent:ovs1')).toBeLessThan(rankOf('vswitchd:ovs1'));
  });
});
