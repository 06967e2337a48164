/** Plays neutron-server on a test vhost: declares its exchanges (oslo's flags) and casts l2pop / report_state. */
import amqp from 'amqplib';
import { L2POP_FANOUT_EXCHANGE, L2POP_TOPIC, NEUTRON_EXCHANGE, fanoutExchange, topicExchange } from '@l2scope/domain';

export async function declareNeutronExchanges(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const spec of [topicExchange(false), fanoutExchange(L2POP_TOPIC)]) {
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  await conn.close();
}

/**
 * Plays an l2pop agent's consumer: its auto-delete fanout queue (oslo names it
 * `<topic>_fanout_<uuid>`) bound to the l2pop fanout exchange, which keeps that auto-delete
 * exchange alive while the tap is away, as the agents of a real cloud do. Returns `close`.
 */
export async function agentFanoutQueue(url: string): Promise<{ close(): Promise<void> }> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const q = await ch.assertQueue(`${L2POP_TOPIC}_fanout_${Math.random().toString(16).slice(2)}`, { durable: false, autoDelete: true });
  await ch.bindQueue(q.queue, L2POP_FANOUT_EXCHANGE, '');
  return { close: () => conn.close() };
}

/** oslo `serialize_msg` of an RPC message with a minimal admin context, as neutron-server sends it. */
export function osloBody(method: string, args: object, extra: object = {}): Buffer {
  const inner = {
    method,
    args,
    version: '1.0',
    _unique_id: Math.random().toString(16).slice(2),
    _context_is_admin: true,
    _context_auth_token: null,
    _context_request_id: 'req-e2e',
    ...extra,
  };
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) }));
}

export type Port = [mac: string, ip: string];
export const FLOOD: Port = ['00:00:00:00:00:00', '0.0.0.0'];

export function fdbArgs(network: string, vni: number, ports: Record<string, Port[]>): object {
  return { fdb_entries: { [network]: { segment_id: vni, network_type: 'vxlan', ports } } };
}

export function reportStateArgs(host: string, vtep: string, l2pop = true): object {
  return {
    agent_state: {
      agent_state: {
        binary: 'neutron-linuxbridge-agent',
        host,
        topic: 'N/A',
        agent_type: 'Linux bridge agent',
        start_flag: true,
        configurations: { tunneling_ip: vtep, tunnel_types: ['vxlan'], l2_population: l2pop, devices: 1 },
      },
    },
    time: new Date().toISOString().replace('Z', ''),
  };
}

/** A connection that publishes like neutron-server (persistent, JSON, utf-8). */
export async function neutronPublisher(url: string) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  const props = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0, headers: {} };
  return {
    async fanout(method: string, args: object) {
      ch.publish(L2POP_FANOUT_EXCHANGE, '', osloBody(method, args), props);
      await ch.waitForConfirms();
    },
    async directed(host: string, method: string, args: object) {
      ch.publish(NEUTRON_EXCHANGE, `${L2POP_TOPIC}.${host}`, osloBody(method, args), props);
      await ch.waitForConfirms();
    },
    async report(host: string, vtep: string, l2pop = true) {
      ch.publish(
        NEUTRON_EXCHANGE,
        'q-reports-plugin',
        osloBody('report_state', reportStateArgs(host, vtep, l2pop), { _msg_id: 'x', _reply_q: 'reply_x', _timeout: null }),
        { ...props, expiration: '30000' },
      );
      await ch.waitForConfirms();
    },
    /** Publish a body as is (e.g. a malformed one) on an exchange. */
    async raw(exchange: string, routingKey: string, body: Buffer) {
      ch.publish(exchange, routingKey, body, props);
      await ch.waitForConfirms();
    },
    async close() {
      await conn.close();
    },
  };
}
