#!/usr/bin/env -S npx tsx
/** l2scope command line. `npm run -s l2scope -- <command>` from the repository root. */
import { Command } from 'commander';
import { decodeCommand } from './decode';

// `l2scope decode big.jsonl | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('l2scope').description('l2scope: an observatory for OpenStack Neutron l2pop').showHelpAfterError();

program
  .command('decode')
  .description('decode captured AMQP messages (one JSON object per line: ts, exchange, routingKey, properties, body) into l2pop terms')
  .argument('[file]', 'capture file (.jsonl); stdin when omitted or "-"')
  .option('--strict', 'exit 1 when any line could not be decoded', false)
  .action(async (file: string | undefined, opts: { strict: boolean }) => {
    process.exitCode = await decodeCommand(file, opts);
  });

await program.parseAsync();
