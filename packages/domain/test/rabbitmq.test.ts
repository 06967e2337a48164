/** The printed RabbitMQ commands: per-host topic permissions, publish-only agents, the worker's user. */
import { describe, expect, it } from 'vitest';
import { nodeAgentTopicPattern, rabbitmqCommands } from '../src';

describe('rabbitmq commands', () => {
  it('gives each agent a topic permission on its own routing keys only', () => {
    const pattern = new RegExp(nodeAgentTopicPattern('hv.dc1'));
    expect(pattern.test('snapshot.hv.dc1')).toBe(true);
    expect(pattern.test('bum.hv.dc1')).toBe(true);
    expect(pattern.test('snapshot.hvXdc1')).toBe(false);
    expect(pattern.test('snapshot.hv.dc1.other')).toBe(false);
    const lines = rabbitmqCommands({ vhost: '/', hosts: ['compute1'] });
    expect(lines).toContain("rabbitmqctl set_topic_permissions -p '/' 'l2scope-agent-compute1' 'l2scope.node' '^(snapshot|bum)\\.compute1$' '^$'");
    expect(lines).toContain("rabbitmqctl set_permissions -p '/' 'l2scope-agent-compute1' '^$' '^l2scope\\.node$' '^$'");
    expect(lines.some((l) => l.startsWith("rabbitmqctl set_permissions -p '/' 'l2scope' '^(l2scope\\.tap\\..*|l2scope\\.node)$'"))).toBe(true);
    expect(lines.some((l) => l.includes('l2scope.command'))).toBe(true);
    expect(() => rabbitmqCommands({ hosts: ['a b'] })).toThrow(/not a host name/);
  });
});
