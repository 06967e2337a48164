#!/usr/bin/env -S npx tsx
/**
 * `npx tsx apps/agent/src/watch.ts [--amqp URL] [--jsonl FILE]`: print what node agents publish on
 * `l2scope.node` (one line per message), optionally append every message to a JSONL file
 * (`{"at", "routingKey", "properties", "body"}`). A debugging aid: it reads through its own
 * exclusive, auto-delete, bounded queue, so it never takes messages from the worker.
 */
import { appendFileSync } from 'node:fs';
import amqp from 'amqplib';
import { Command } from 'commander';
import { type BumReport, NODE_AGENT_WIRE, type NodeSnapshot, parseBumReport, parseNodeSnapshot } from '@l2scope/domain';
import { redactUrl } from '@l2scope/domain';
import { errLine, stdoutLog as log } from './log';
import { DEFAULT_AMQP_URL } from './options';

const program = new Command()
  .name('l2scope-agent-watch')
  .description("print the node agents' messages on l2scope.node")
  .option('--amqp <url>', 'broker URL (default: env AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/)')
  .option('--jsonl <file>', 'append every message to this JSONL file')
  .option('--bum-all', 'print every BUM report (default: only those with BUM, ARP or a problem)')
  .parse(process.argv);
const o = program.opts<{ amqp?: string; jsonl?: string; bumAll?: boolean }>();
const url = o.amqp ?? process.env.AMQP_URL ?? DEFAULT_AMQP_URL;

/** One line about a snapshot. */
export function snapshotLine(s: NodeSnapshot): string {
  if (s.kind === 'full') {
    const lb = s.linuxbridge;
    const ovs = s.openvswitch;
    const what = lb
      ? `fdb ${lb.fdb.length} neigh ${lb.neigh.length} vxlan ${lb.vxlan.map((d) => `${d.name}${d.proxy ? '+proxy' : ''}${d.group ? `@${d.group}` : ''}`).join(',') || '-'}`
      : ovs
        ? `tunnel ports ${ovs.tunnelPorts.length} unicast ${ovs.brTun?.unicast.length ?? '?'} flood ${ovs.brTun?.flood.length ?? '?'} responder ${ovs.brTun?.responder.length ?? '?'} cookies ${ovs.brTun?.cookies?.map((c) => `${c.cookie}(${c.flows})`).join('+') ?? '?'}`
        : '';
    return `snapshot ${s.host} full seq ${s.seq} ${s.agent.type} l2pop=${s.agent.ini?.l2population ?? '?'} arp=${s.agent.ini?.arpResponder ?? '?'} ${what}${s.errors.length ? ` errors ${s.errors.map((e) => e.source).join(',')}` : ''}`;
  }
  const parts = [
    s.agent ? 'agent' : '',
    ...Object.keys(s.linuxbridge ?? {}).map((k) => `linuxbridge.${k}`),
    ...Object.keys(s.openvswitch ?? {}).map((k) => `openvswitch.${k}`),
  ].filter(Boolean);
  return `snapshot ${s.host} delta seq ${s.seq} base ${s.baseSeq} ${parts.join(',') || '(problems only)'}`;
}

/** One line about a BUM report (flows with BUM or ARP only). */
export function bumLine(r: BumReport): string {
  const flows = r.flows
    .filter((f) => f.broadcast + f.multicast + f.unknownUnicast + f.arp > 0)
    .map(
      (f) =>
        `[${f.vni} ${f.direction} ${f.remoteVtep}${f.outerMulticast ? ' (mcast)' : ''}: bcast ${f.broadcast} mcast ${f.multicast} unk ${f.unknownUnicast} arp ${f.arp} (req ${f.arpRequest} rep ${f.arpReply}) ucast ${f.unicast}]`,
    );
  return `bum ${r.host} ${r.iface} ${r.seconds.toFixed(1)} s captured ${r.captured}${r.sampled < 1 ? ` sampled ${r.sampled.toFixed(3)}` : ''}${r.captureDropped ? ` dropped ${r.captureDropped}` : ''}${r.unavailable ? ` UNAVAILABLE (${r.unavailable})` : ''} ${flows.join(' ') || 'no BUM'}`;
}

async function main(): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange(NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.exchangeType, { ...NODE_AGENT_WIRE.exchangeOptions });
  const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, arguments: { 'x-max-length': 10_000, 'x-overflow': 'drop-head' } });
  await ch.bindQueue(q.queue, NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.snapshotBinding);
  await ch.bindQueue(q.queue, NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.bumBinding);
  log(`watching ${NODE_AGENT_WIRE.exchange} on ${redactUrl(url)}`);
  await ch.consume(
    q.queue,
    (msg) => {
      if (!msg) return;
      const text = msg.content.toString('utf8');
      try {
        const json = JSON.parse(text) as unknown;
        if (o.jsonl)
          appendFileSync(
            o.jsonl,
            `${JSON.stringify({ at: new Date().toISOString(), routingKey: msg.fields.routingKey, properties: { headers: msg.properties.headers, messageId: msg.properties.messageId, deliveryMode: msg.properties.deliveryMode, type: msg.properties.type }, body: json })}\n`,
          );
        if (msg.fields.routingKey.startsWith('bum.')) {
          const r = parseBumReport(json);
          if (o.bumAll || r.unavailable || r.captureDropped || r.flows.some((f) => f.broadcast + f.multicast + f.unknownUnicast + f.arp > 0)) log(bumLine(r));
        } else log(snapshotLine(parseNodeSnapshot(json)));
      } catch (e) {
        log(`invalid message on ${msg.fields.routingKey}: ${errLine(e)}`);
      }
    },
    { noAck: true },
  );
  const stop = () => {
    void conn.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  log(`watch: ${errLine(e)}`);
  process.exit(1);
});
