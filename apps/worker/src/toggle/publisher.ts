/**
 * Publishes signed commands on `l2scope.command` (topic, durable; the worker declares it), routing
 * key `<host>`, `mandatory`: a command no queue takes (no agent listening for that host) comes back
 * from the broker and {@link CommandPublisher.publish} rejects with "no agent listening".
 */
import amqp from 'amqplib';
import { COMMAND_WIRE } from '@l2scope/domain';

/** Where commands go: the worker's AMQP publisher, or a test double. */
export interface CommandSink {
  /**
   * Publish one signed command for `host`.
   * @throws Error `no agent listening for <host>` when the broker returned it unroutable, or the
   *   broker's error
   */
  publish(host: string, commandId: string, jws: string): Promise<void>;
  close(): Promise<void>;
}

/** The AMQP publisher: one connection and confirm channel, made on first use and again after a failure. */
export class CommandPublisher implements CommandSink {
  private conn: amqp.ChannelModel | null = null;
  private ch: amqp.ConfirmChannel | null = null;
  private connecting: Promise<amqp.ConfirmChannel> | null = null;
  private readonly returned = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private channel(): Promise<amqp.ConfirmChannel> {
    if (this.ch) return Promise.resolve(this.ch);
    this.connecting ??= (async () => {
      try {
        const conn = await amqp.connect(this.url);
        conn.on('error', (err: Error) => this.log(`toggle: command connection error: ${err.message}`));
        conn.on('close', () => this.reset());
        const ch = await conn.createConfirmChannel();
        ch.on('error', (err: Error) => this.log(`toggle: command channel error: ${err.message}`));
        ch.on('close', () => this.reset());
        ch.on('return', (msg: amqp.Message) => {
          const id = msg.properties.messageId as string | undefined;
          if (id) this.returned.add(id);
        });
        await ch.assertExchange(COMMAND_WIRE.exchange, COMMAND_WIRE.exchangeType, COMMAND_WIRE.exchangeOptions);
        this.conn = conn;
        this.ch = ch;
        return ch;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private reset(): void {
    this.ch = null;
    this.conn = null;
  }

  async publish(host: string, commandId: string, jws: string): Promise<void> {
    const ch = await this.channel();
    await new Promise<void>((resolve, reject) => {
      ch.publish(
        COMMAND_WIRE.exchange,
        COMMAND_WIRE.routingKey(host),
        Buffer.from(jws),
        { mandatory: true, messageId: commandId, contentType: 'application/jose', headers: { [COMMAND_WIRE.schemaHeader]: COMMAND_WIRE.commandSchema } },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
    // basic.return arrives before the confirm of an unroutable mandatory message
    if (this.returned.delete(commandId)) throw new Error(`no agent listening for ${host} (no queue bound to ${COMMAND_WIRE.exchange} with key ${host})`);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.reset();
    await conn?.close().catch(() => {});
  }
}
