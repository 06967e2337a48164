/** The printed RabbitMQ commands: per-host topic permissions, publish-only agents, the worker's user. */
import { describe, expect, it } from 'vitest';
import { nodeAgentPermissions, nodeAgentTopicPattern, rabbitmqCommands } from '../src';

describe('rabbitmq commands', () => {
  it('gives each agent a topic permission on its own routing keys only', () => {
    const pattern = new RegExp(nodeAgentTopicPattern('hv.dc1'));
    expect(pattern.test('snapshot.hv.dc1')).toBe(true);
    expect(pattern.test('bum.hv.dc1')).toBe(true);
    expect(pattern.test('reply.hv.dc1')).toBe(true);
    expect(pattern.test('reply.hv.dc2')).toBe(false);
    expect(pattern.test('snapshot.hvXdc1')).toBe(false);
    expect(pattern.test('snapshot.hv.dc1.other')).toBe(false);
    const lines = rabbitmqCommands({ vhost: '/', hosts: ['compute1'] });
    expect(lines).toContain("rabbitmqctl set_topic_permissions -p '/' 'l2scope-agent-compute1' 'l2scope.node' '^(snapshot|bum|reply)\\.compute1$' '^$'");
    expect(lines).toContain("rabbitmqctl set_topic_permissions -p '/' 'l2scope-agent-compute1' 'l2scope.command' '^$' '^compute1$'");
    expect(lines).toContain(
      "rabbitmqctl set_permissions -p '/' 'l2scope-agent-compute1' '^l2scope\\.command\\.compute1$' '^(l2scope\\.node|l2scope\\.command\\.compute1)$' '^(l2scope\\.command|l2scope\\.command\\.compute1)$'",
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          "rabbitmqctl set_permissions -p '/' 'l2scope' '^(l2scope\\.tap\\..*|l2scope\\.node|l2scope\\.command)$' '^(l2scope\\.tap\\..*|l2scope\\.command)$'",
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('#') && l.includes('reserved'))).toBe(false);
    expect(() => rabbitmqCommands({ hosts: ['a b'] })).toThrow(/not a host name/);
  });

  it("lets an agent configure and read its own command queue only, and bind it with its own host's key only", () => {
    const p = nodeAgentPermissions('hv.dc1');
    const re = (s: string) => new RegExp(s);
    expect(re(p.vhost.configure).test('l2scope.command.hv.dc1')).toBe(true);
    expect(re(p.vhost.configure).test('l2scope.command.hv.dc2')).toBe(false);
    expect(re(p.vhost.configure).test('l2scope.command')).toBe(false);
    expect(re(p.vhost.write).test('l2scope.command')).toBe(false);
    expect(re(p.vhost.write).test('l2scope.node')).toBe(true);
    expect(re(p.vhost.read).test('l2scope.command')).toBe(true);
    expect(re(p.vhost.read).test('l2scope.command.hv.dc2')).toBe(false);
    const cmd = p.topics.find((t) => t.exchange === 'l2scope.command')!;
    expect(re(cmd.read).test('hv.dc1')).toBe(true);
    expect(re(cmd.read).test('hvXdc1')).toBe(false);
    expect(re(cmd.read).test('#')).toBe(false);
    expect(cmd.write).toBe('^$');
  });
});
