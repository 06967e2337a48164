/**
 * The compose `demo` profile's stand-in for neutron-server: republishes a real capture
 * (fixtures/lab3.jsonl) onto the bundled RabbitMQ exactly as Neutron sent it (oslo's exchanges,
 * routing keys and properties), in a loop, so the worker's live tap, with its least-privilege
 * user, has l2pop traffic to observe. Never point this at a production broker.
 *
 *   NEUTRON_AMQP_URL=amqp://admin:...@rabbitmq:5672/ node --import tsx docker/demo/replay.ts
 *
 * Environment: NEUTRON_AMQP_URL (required; a user allowed to declare and write Neutron's
 * exchanges), DEMO_CAPTURE (default fixtures/lab3.jsonl), DEMO_SPEED (time multiplier, default 2;
 * 0 = as fast as possible), DEMO_LOOP (default 1; 0 = publish the capture once and exit),
 * DEMO_RETRY_SECONDS (how long to retry the first connection, default 60).
 */
import { redactUrl } from '@l2scope/domain';
import { replayToBroker } from '@l2scope/worker';

const url = process.env.NEUTRON_AMQP_URL;
if (!url) {
  console.error('demo: NEUTRON_AMQP_URL is required');
  process.exit(2);
}
const file = process.env.DEMO_CAPTURE || 'fixtures/lab3.jsonl';
const speed = Number(process.env.DEMO_SPEED ?? 2);
const loop = (process.env.DEMO_LOOP ?? '1') !== '0';
const retrySeconds = Number(process.env.DEMO_RETRY_SECONDS ?? 60);
if (!Number.isFinite(speed) || speed < 0) {
  console.error(`demo: DEMO_SPEED must be a non-negative number, got ${process.env.DEMO_SPEED}`);
  process.exit(2);
}

const abort = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => abort.abort());

const deadline = Date.now() + retrySeconds * 1000;
for (;;) {
  try {
    console.log(`demo: publishing ${file} onto ${redactUrl(url)} at speed ${speed}${loop ? ', looping' : ''}`);
    const n = await replayToBroker({ file, url, speed, loop, signal: abort.signal, log: (l) => console.log(l) });
    console.log(`demo: published ${n} messages`);
    break;
  } catch (err) {
    if (abort.signal.aborted || Date.now() > deadline) {
      console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
    console.log(`demo: broker not ready (${err instanceof Error ? err.message : String(err)}), retrying`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
