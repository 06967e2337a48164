/**
 * Switching agents between Lab1 / Lab2 / Lab3 (docs/lab.md#labs, docs/lab.md#gotcha-11 and docs/lab.md#gotcha-12).
 *
 * Clean (default): stop the agent, delete `vxlan-<VNI>` (the agent's `ensure_vxlan()` never
 * reconfigures an existing device), edit the ini, start, wait for a NEW `started_at` and the new
 * `configurations.l2_population`. In place (`--in-place`): edit the ini and restart only, which
 * leaves the old device (multicast `group`, no `proxy`) and its old FDB rows: the half-switched
 * state of docs/lab.md#switch-noclean.
 */
import { linuxBridgeNames } from '@l2scope/domain';
import { agentKey, editAgentMode, iniMode, startAgent, stopAgent, waitAgentStarted } from './agents';
import { ip, linkExists } from './exec';
import type { HostMode, HostState, LabState } from './state';

/** One host's target mode. */
export interface ModeTarget {
  host: HostState;
  mode: HostMode;
}

/** Result of switching one host. */
export interface ModeSwitchResult {
  host: string;
  mode: HostMode;
  /** Whether `vxlan-<VNI>` was deleted (clean switch of a Linux bridge host that had one). */
  deletedVxlan: boolean;
  /** Milliseconds from stop to the API showing the new agent. */
  ms: number;
  startedAt: string;
}

/**
 * Switch hosts in parallel. The state's process records and modes are updated as it goes, so the
 * caller can save them even when a wait fails.
 * @throws Error when an agent does not come back with the new configuration within 90 s
 */
export async function switchModes(s: LabState, targets: ModeTarget[], inPlace: boolean): Promise<ModeSwitchResult[]> {
  const dev = linuxBridgeNames.vxlan(s.vni);
  return Promise.all(
    targets.map(async ({ host: h, mode }) => {
      const t0 = Date.now();
      if (inPlace) editAgentMode(h, mode);
      await stopAgent(s, h.name);
      let deletedVxlan = false;
      if (!inPlace) {
        if (h.kind === 'linuxbridge' && (await linkExists(h.ns, dev))) {
          await ip(h.ns, ['link', 'del', dev]);
          deletedVxlan = true;
        }
        editAgentMode(h, mode);
      }
      h.mode = { ...mode };
      const startAt = Date.now();
      s.procs[agentKey(h.name)] = await startAgent(h);
      const a = await waitAgentStarted(h, startAt, mode);
      return { host: h.name, mode, deletedVxlan, ms: Date.now() - t0, startedAt: a.started_at };
    }),
  );
}

/**
 * Restart one agent (stop by PID, start) and wait for its new `started_at`
 * (6.2-8.0 s on this machine kind) in the mode its ini holds, recorded as the host's mode (the
 * ini is the truth: l2scope's toggles edit it, docs/lab.md#toggle-hooks).
 * @returns milliseconds until the API showed the new agent
 */
export async function restartAgent(s: LabState, h: HostState): Promise<number> {
  const t0 = Date.now();
  await stopAgent(s, h.name);
  h.mode = iniMode(h);
  const startAt = Date.now();
  const rec = await startAgent(h);
  s.procs[agentKey(h.name)] = rec;
  await waitAgentStarted(h, startAt, h.mode, undefined, rec);
  return Date.now() - t0;
}
