/**
 * The lab suite's global setup: notes whether a lab was running before the suite, and at the end
 * takes the lab down if it was not. Test files leave their lab up (`ensure-lab.ts`), so that the
 * next file of the same shape reuses it instead of a cold `up`; a lab a developer had running
 * before is left running, as each file used to leave it.
 */
import { isRunning } from '../src/procs';
import { loadState } from '../src/state';
import { lab } from './helpers';

/** @returns the teardown: `lab down` unless a lab was running before the suite */
export default function setup(): () => Promise<void> {
  const s = loadState();
  const wasRunning = s !== null && isRunning(s.procs.server);
  return async () => {
    if (wasRunning) return;
    await lab('down').catch((e: Error) => console.error(e.message));
  };
}
