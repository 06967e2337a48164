import type { AmqpProperties } from '@l2scope/domain';

/** One message entering the pipeline, from the live tap or a replay. */
export interface Delivery {
  /** Epoch ms the worker received it. */
  receivedAt: number;
  exchange: string;
  routingKey: string;
  properties: AmqpProperties;
  body: Uint8Array;
  source: 'amqp' | 'replay';
  /**
   * The broker delivered it before without an ack (AMQP `redelivered`: the worker died or lost its
   * channel between receiving and acking it). Only such a delivery can be a duplicate of a stored one.
   */
  redelivered?: boolean;
}
