import { describe, expect, it } from 'vitest';
import { nodeAgentAmqpUrl, nodeAgentArgv, nodeAgentKey, NODE_AGENT_MAIN } from '../src/l2scope-agents';
import { rankOf } from '../src/teardown';
import type { HostState } from '../src/state';

const lb: HostState = { name: 'compute1', kind: 'linuxbridge', index: 1, underlayIp: '10.0.20.12', ns: 'l2lab-compute1', mode: { l2pop: true, arp: false } };
const ovs: HostState = { name: 'ovs1', kind: 'ovs', index: 10, underlayIp: '10.0.20.21', ns: 'l2lab-ovs1', mode: { l2pop: true, arp: false } };

describe('l2scope node agents in the lab', () => {
  it("reach the broker through the namespace relay with the lab's credentials and vhost", () => {
    expect(nodeAgentAmqpUrl('amqp://guest:guest@127.0.0.1:5672/')).toBe('amqp://guest:guest@127.0.0.1:5672/');
    expect(nodeAgentAmqpUrl('amqp://u:p@10.1.2.3:5673/lab%2Fvh')).toBe('amqp://u:p@127.0.0.1:5672/lab%2Fvh');
  });

  it("run inside the host namespace with the host's ini; the OVS host with its private OVS and ul0", () => {
    const a = nodeAgentArgv({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672/' }, lb, { bumIntervalS: 2 }, '/usr/bin/node');
    expect(a.slice(0, 8)).toEqual(['ip', 'netns', 'exec', 'l2lab-compute1', '/usr/bin/node', '--import', 'tsx', NODE_AGENT_MAIN]);
    expect(a.join(' ')).toMatch(
      /--host compute1 --amqp amqp:\/\/guest:guest@127\.0\.0\.1:5672\/ --ini \S+\/agents\/compute1\/linuxbridge_agent\.ini --type linuxbridge --bum-interval 2 --stop-command /,
    );
    const o = nodeAgentArgv({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672/' }, ovs, { bum: false }).join(' ');
    expect(o).toMatch(
      /--ini \S+\/openvswitch_agent\.ini --type openvswitch --ovs-db unix:\S+\/ovs\/ovs1\/run\/db\.sock --ovs-rundir \S+\/ovs\/ovs1\/run --bum-iface ul0 --no-bum --stop-command /,
    );
  });

  it("connect as their host's own RabbitMQ user when the lab created one", () => {
    const cred = { user: 'l2scope-agent-compute1', password: 'abc123' };
    expect(nodeAgentAmqpUrl('amqp://guest:guest@127.0.0.1:5672/', cred)).toBe('amqp://l2scope-agent-compute1:abc123@127.0.0.1:5672/');
    const a = nodeAgentArgv({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672/lab' }, lb, {}, '/usr/bin/node', cred).join(' ');
    expect(a).toContain('--amqp amqp://l2scope-agent-compute1:abc123@127.0.0.1:5672/lab ');
  });

  it('are stopped first by lab down', () => {
    expect(rankOf(nodeAgentKey('compute1'))).toBe(0);
  });
});
