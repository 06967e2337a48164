/**
 * What the node pages may claim, given what was analysed: a green "in sync" or "none" only where
 * a node snapshot was judged; elsewhere the page says that nothing was analysed and why. Pure texts
 * and tones (the components stay thin); tested in test/evidence.test.ts.
 */

/** A claim's words and its tone: `ok` (green, evidence behind it), `bad`, or `idle` (no evidence). */
export interface Claim {
  text: string;
  tone: 'ok' | 'bad' | 'idle';
}

/**
 * The overview's sync line.
 * @param analysed hosts with a node snapshot analysed
 * @param known hosts the l2pop model knows (from casts and report_state)
 * @param withProblems analysed hosts with drift, flood problems or findings
 */
export function overviewSyncClaim(analysed: number, known: number, withProblems: number): Claim {
  if (analysed === 0)
    return {
      text: `not analysed: no node agent has reported${known > 0 ? ` (${known} ${known === 1 ? 'host' : 'hosts'} known from l2pop only)` : ''}`,
      tone: 'idle',
    };
  const rest = Math.max(0, known - analysed);
  const notAnalysed = rest > 0 ? `; ${rest} of ${Math.max(known, analysed)} hosts not analysed (no node agent)` : '';
  if (withProblems > 0) return { text: `${withProblems} with drift, flood problems or findings${notAnalysed}`, tone: 'bad' };
  return { text: rest > 0 ? `the ${analysed} analysed in sync${notAnalysed}` : 'all in sync', tone: 'ok' };
}

/**
 * A network's drift headline.
 * @param analysed member hosts with a node snapshot analysed
 * @param members hosts with a port on the network (the model's)
 * @param drift drift items over the analysed hosts
 */
export function networkDriftClaim(analysed: number, members: number, drift: number): Claim {
  if (drift > 0) return { text: `${drift} ${drift === 1 ? 'item' : 'items'}`, tone: 'bad' };
  if (analysed === 0) return { text: `not analysed: no node agent on ${members > 0 ? `any of its ${members} member hosts` : 'this network'}`, tone: 'idle' };
  return { text: analysed < members ? `✓ none on the ${analysed} analysed (of ${members})` : '✓ none', tone: 'ok' };
}

/**
 * The agent type of a host: the node analysis' (from the snapshot), else what report_state said,
 * named as such; never "unknown" beside a type the page knows.
 * @param analysed the analysis' agent type (null: no snapshot, or it could not tell)
 * @param reported report_state's `agent_type` (e.g. `Linux bridge agent`), null when none seen
 */
export function agentTypeText(analysed: 'linuxbridge' | 'openvswitch' | null, reported: string | null | undefined): string {
  if (analysed === 'linuxbridge') return 'Linux bridge agent';
  if (analysed === 'openvswitch') return 'Open vSwitch agent';
  if (reported) return `${reported} (as report_state says; no node snapshot)`;
  return 'agent type not reported yet';
}

/**
 * The ARP responder's state on a host's network, for the neighbour section.
 * @param agent the analysis' mode (`on`/`off`/`unknown`), null when the host was not analysed
 * @param plane the data plane's answer on this network (vxlan `proxy` / br-tun table 21), null when unknown
 * @returns `on`, `off` (with evidence), or `not_analysed`
 */
export function responderState(agent: 'on' | 'off' | 'unknown' | null | undefined, plane: boolean | null | undefined): 'on' | 'off' | 'not_analysed' {
  if (agent === 'on' || plane === true) return 'on';
  if (agent === 'off' || plane === false) return 'off';
  return 'not_analysed';
}
