/**
 * Neutron RPC topics and exchanges as oslo.messaging lays them out on RabbitMQ.
 *
 * Sources: neutron_lib/agent/topics.py (`get_topic_name`, `AGENT`, `L2POPULATION`,
 * `UPDATE`, `PLUGIN`, `REPORTS`), oslo_messaging/_drivers/impl_rabbit.py and amqpdriver.py
 * (`<topic>_fanout` fanout exchanges, `<topic>.<server>` routing keys on the
 * `control_exchange`, which neutron sets to `neutron`).
 */

import { DVR_UPDATE_TOPIC, L3_AGENT_TOPIC } from './dvr/messages';

/** oslo `control_exchange` of Neutron: the topic exchange carrying calls and host-directed casts. */
export const NEUTRON_EXCHANGE = 'neutron';

/** `topics.get_topic_name(topics.AGENT, topics.L2POPULATION, topics.UPDATE)`. */
export const L2POP_TOPIC = 'q-agent-notifier-l2population-update';

/** Fanout exchange of l2pop casts (oslo: `<topic>_fanout`, type fanout, durable=false, auto_delete=true). */
export const L2POP_FANOUT_EXCHANGE = `${L2POP_TOPIC}_fanout`;

/**
 * `topics.get_topic_name(topics.AGENT, topics.NETWORK, topics.DELETE)`: the server's `network_delete`
 * cast (neutron/plugins/ml2/rpc.py `AgentNotifierApi.network_delete`, fanout, kwargs `network_id`).
 */
export const NETWORK_DELETE_TOPIC = 'q-agent-notifier-network-delete';

/** Routing key of agent state reports (`report_state` calls): `topics.REPORTS`. */
export const REPORTS_TOPIC = 'q-reports-plugin';

/** Routing key of agent -> server RPC calls (`get_devices_details_list`, `update_device_up`, ...): `topics.PLUGIN`. */
export const PLUGIN_TOPIC = 'q-plugin';

/** The three l2pop casts (neutron/plugins/ml2/drivers/l2pop/rpc.py `L2populationAgentNotifyAPI`). */
export const L2POP_METHODS = ['add_fdb_entries', 'remove_fdb_entries', 'update_fdb_entries'] as const;
export type L2popMethod = (typeof L2POP_METHODS)[number];

/** How oslo.messaging declares an exchange; a tap must use identical flags or the broker closes the channel (406). */
export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'fanout';
  durable: boolean;
  autoDelete: boolean;
}

/**
 * The exchange and binding keys of a tap, as oslo declares them with default options
 * (`amqp_durable_queues=False`, `amqp_auto_delete=False`): the topic exchange is
 * non-durable, not auto-delete; every `<topic>_fanout` exchange is non-durable, auto-delete.
 */
export interface TapBinding {
  exchange: ExchangeSpec;
  /** Binding key: `#` wildcards for host names (which may contain dots); '' for fanouts. */
  routingKey: string;
  /**
   * The exchange exists only in some clouds (the DVR fanouts: declared by OVS agents with DVR and by
   * L3 agents): the tap binds it once it appears, and does not report it missing meanwhile.
   */
  optional?: boolean;
}

/** oslo's declaration of the control exchange. */
export function topicExchange(durable = false): ExchangeSpec {
  return { name: NEUTRON_EXCHANGE, type: 'topic', durable, autoDelete: false };
}

/** oslo's declaration of a fanout exchange for `topic`. */
export function fanoutExchange(topic: string): ExchangeSpec {
  return { name: `${topic}_fanout`, type: 'fanout', durable: false, autoDelete: true };
}

/** Agent notifier topics other than l2pop that Neutron's server casts (neutron/api/rpc/handlers, agent_notifiers). */
export const OTHER_AGENT_NOTIFIER_TOPICS = [
  'q-agent-notifier-port-update',
  'q-agent-notifier-port-delete',
  'q-agent-notifier-network-update',
  NETWORK_DELETE_TOPIC,
  'q-agent-notifier-tunnel-update',
  'q-agent-notifier-tunnel-delete',
  'q-agent-notifier-security_group-update',
  'q-agent-notifier-binding-activate',
  'q-agent-notifier-binding-deactivate',
  'q-server-resource-versions',
] as const;

/**
 * Versioned-object push topics (neutron/api/rpc/callbacks: `neutron-vo-<Resource>-<version>`, a
 * fanout per version), at the versions neutron 21.0.0 (Zed) agents report in
 * `report_state.resource_versions`. A newer cloud uses other versions: the tap waits for exchanges
 * that do not exist, so listing a few extra names costs nothing.
 */
export const OVO_PUSH_TOPICS_ZED = [
  'neutron-vo-Port-1.7',
  'neutron-vo-Network-1.1',
  'neutron-vo-Subnet-1.1',
  'neutron-vo-SecurityGroup-1.5',
  'neutron-vo-SecurityGroupRule-1.2',
  'neutron-vo-QosPolicy-1.10',
  'neutron-vo-Trunk-1.1',
  'neutron-vo-SubPort-1.0',
  'neutron-vo-AddressGroup-1.2',
] as const;

/**
 * Bindings of the l2scope tap (docs/wire-format.md#tap-bindings): the l2pop fanout, the host-directed l2pop casts,
 * the agents' `report_state`, the `network_delete` fanout (networks leave the model on it), the DVR
 * fanouts `q-agent-notifier-dvr-update_fanout` and `l3_agent_fanout` (docs/dvr.md); with
 * `allRpc`, also the rest of Neutron's agent RPC for the inspector (each binding once).
 *
 * @param opts.allRpc also bind `q-plugin` calls, the other agent notifier fanouts and the OVO pushes
 * @param opts.durableExchanges set when the cloud runs `amqp_durable_queues = True`
 */
export function tapBindings(opts: { allRpc?: boolean; durableExchanges?: boolean } = {}): TapBinding[] {
  const neutron = topicExchange(opts.durableExchanges ?? false);
  const bindings: TapBinding[] = [
    { exchange: fanoutExchange(L2POP_TOPIC), routingKey: '' },
    { exchange: neutron, routingKey: `${L2POP_TOPIC}.#` },
    { exchange: neutron, routingKey: REPORTS_TOPIC },
    { exchange: fanoutExchange(NETWORK_DELETE_TOPIC), routingKey: '' },
    // DVR (docs/dvr.md): the full DVR MAC list and the static ARP casts to the L3 agents
    // (optional: a cloud without DVR or L3 agents never declares them)
    { exchange: fanoutExchange(DVR_UPDATE_TOPIC), routingKey: '', optional: true },
    { exchange: fanoutExchange(L3_AGENT_TOPIC), routingKey: '', optional: true },
  ];
  if (opts.allRpc) {
    bindings.push({ exchange: neutron, routingKey: PLUGIN_TOPIC });
    bindings.push({ exchange: neutron, routingKey: `${PLUGIN_TOPIC}.#` });
    for (const topic of OTHER_AGENT_NOTIFIER_TOPICS) {
      if (topic !== NETWORK_DELETE_TOPIC) bindings.push({ exchange: fanoutExchange(topic), routingKey: '' });
      bindings.push({ exchange: neutron, routingKey: `${topic}.#` });
    }
    for (const topic of OVO_PUSH_TOPICS_ZED) bindings.push({ exchange: fanoutExchange(topic), routingKey: '' });
  }
  return bindings;
}

/**
 * Who a message was addressed to, from where it was published.
 *
 * @returns `"fanout"` for any oslo `*_fanout` exchange; the host name for a host-directed cast
 *   (`<agent notifier topic>.<host>` on the control exchange; the host may contain dots);
 *   `null` otherwise (calls to the server such as `report_state` on `q-reports-plugin`).
 */
export function resolveTarget(exchange: string, routingKey: string): string | null {
  if (exchange.endsWith('_fanout')) return 'fanout';
  if (exchange === NEUTRON_EXCHANGE && routingKey.startsWith('q-agent-notifier-')) {
    const dot = routingKey.indexOf('.');
    if (dot > 0 && dot < routingKey.length - 1) return routingKey.slice(dot + 1);
  }
  return null;
}

/** The oslo topic a message was published on: the fanout exchange without `_fanout`, else the routing key up to the first dot. */
export function resolveTopic(exchange: string, routingKey: string): string {
  if (exchange.endsWith('_fanout')) return exchange.slice(0, -'_fanout'.length);
  const dot = routingKey.indexOf('.');
  return dot > 0 ? routingKey.slice(0, dot) : routingKey;
}

/**
 * l2scope's own exchange for node agents (never a Neutron exchange): topic, durable. Node agents
 * publish full/delta NodeSnapshots with routing key `snapshot.<host>` and BUM reports with
 * `bum.<host>`; the worker binds `snapshot.#` and `bum.#` (host names may contain dots).
 */
export const NODE_EXCHANGE: ExchangeSpec = { name: 'l2scope.node', type: 'topic', durable: true, autoDelete: false };

/** Routing key of a node agent's snapshot / BUM report. */
export const nodeRoutingKey = (kind: 'snapshot' | 'bum', host: string) => `${kind}.${host}`;

/**
 * The node agent's AMQP contract (the worker binds to it): a durable topic exchange of l2scope's
 * own (never one of Neutron's), routing keys `snapshot.<host>` (NodeSnapshot, full or delta) and
 * `bum.<host>` (BumReport); host names may contain dots, so consumers bind `snapshot.#` / `bum.#`.
 * Properties: `contentType` application/json, `deliveryMode` 2 for full snapshots (1 otherwise),
 * `headers['x-l2scope-schema']` = the body's schema id, `messageId` unique, `type` = full | delta | bum,
 * `userId` = the agent's RabbitMQ user (checked by the broker; the worker maps it to the host).
 * The agent's RabbitMQ user needs write on `^l2scope\.node$` only, plus a topic permission limiting
 * its routing keys to its own host (docs/rabbitmq.md); the worker declares the exchange.
 */
export const NODE_AGENT_WIRE = {
  exchange: NODE_EXCHANGE.name,
  exchangeType: NODE_EXCHANGE.type,
  exchangeOptions: { durable: NODE_EXCHANGE.durable, autoDelete: NODE_EXCHANGE.autoDelete },
  schemaHeader: 'x-l2scope-schema',
  snapshotKey: (host: string) => nodeRoutingKey('snapshot', host),
  bumKey: (host: string) => nodeRoutingKey('bum', host),
  snapshotBinding: 'snapshot.#',
  bumBinding: 'bum.#',
  permissions: { configure: '^$', write: '^l2scope\\.node$', read: '^$' },
} as const;

/** Bindings of the worker's node-data queue. */
export function nodeBindings(): TapBinding[] {
  return [
    { exchange: NODE_EXCHANGE, routingKey: NODE_AGENT_WIRE.snapshotBinding },
    { exchange: NODE_EXCHANGE, routingKey: NODE_AGENT_WIRE.bumBinding },
  ];
}
