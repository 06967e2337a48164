/**
 * `l2scope rabbitmq print [--vhost /] [--host h ...] [--worker-user l2scope]`: the exact
 * `rabbitmqctl` commands for l2scope's users (docs/rabbitmq.md): the worker's, one
 * user per node agent with its topic permissions and its own command queue.
 * Passwords are shell variables (`$L2SCOPE_WORKER_PASSWORD`, `$L2SCOPE_AGENT_PASSWORD_<HOST>`).
 */
import { rabbitmqCommands } from '@l2scope/domain';

/** Options of {@link rabbitmqPrintCommand}. */
export interface RabbitmqPrintOptions {
  vhost: string;
  host: string[];
  workerUser: string;
}

/**
 * Print the commands to `out`, one per line.
 * @returns the exit code: 0, or 2 when a host name is not valid (message on stderr)
 */
export function rabbitmqPrintCommand(o: RabbitmqPrintOptions, out: (line: string) => void = console.log): number {
  let lines: string[];
  try {
    lines = rabbitmqCommands({ vhost: o.vhost, hosts: o.host, workerUser: o.workerUser });
  } catch (err) {
    console.error(`l2scope rabbitmq print: ${(err as Error).message}`);
    return 2;
  }
  for (const l of lines) out(l);
  return 0;
}
