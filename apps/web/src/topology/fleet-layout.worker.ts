/// <reference lib="webworker" />
/** The fleet layout off the main thread: one message in (FleetLayoutInput), one out (FleetLayout). */
import { type FleetLayoutInput, fleetLayout } from './fleet-layout';

self.onmessage = (e: MessageEvent<{ id: number; input: FleetLayoutInput }>) => {
  self.postMessage({ id: e.data.id, layout: fleetLayout(e.data.input) });
};
