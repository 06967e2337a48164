/**
 * How the dashboard shows a host's L2 agent liveness (domain `AgentLiveness`, judged by the worker
 * from report_state as neutron-server's `is_agent_down` does) and ties drift to the `agent_down`
 * finding that may cause it (`DriftItem.causes`). Pure: texts, anchors and links only.
 */
import { type AgentLiveness, agentDownKey } from '@l2scope/domain';
import { hostHref } from '../lib/format';

/**
 * The element id of an open finding's card, from its key (`findingKey`: `<kind>/<network>`), e.g.
 * `agent_down/agent:compute2` -> `finding-agent_down-agent-compute2`. Characters other than
 * letters, digits, `_` and `-` become `-`, so the id is also a plain CSS selector.
 */
export function findingAnchor(key: string): string {
  return `finding-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/**
 * The link to a host's `agent_down` finding on the host's page (`/hosts/<host>#finding-...`): the
 * host page lists every open finding naming the host.
 */
export function agentDownHref(host: string): string {
  return `${hostHref(host)}#${findingAnchor(agentDownKey(host))}`;
}

/** One cause of a drift row, as a link: the finding's key, a label and where its card is. */
export interface CauseLink {
  /** The finding's key (`findingKey`), e.g. `agent_down/agent:compute2`. */
  key: string;
  label: string;
  href: string;
}

/**
 * The links of a drift row's `causes` (finding keys) on `host`. `agent_down/...` keys link to that
 * finding on the host page; other keys (none today) to the host page's anchor of that key.
 */
export function causeLinks(causes: readonly string[] | undefined, host: string): CauseLink[] {
  return (causes ?? []).map((key) => ({
    key,
    label: key.startsWith('agent_down/') ? 'the L2 agent is down' : key,
    href: `${hostHref(host)}#${findingAnchor(key)}`,
  }));
}

/** The liveness badge's words: state, tone and the line under it. */
export interface AgentBadgeText {
  /** `alive`, `down`, or `unknown` (never reported, or judged by a worker without liveness). */
  state: 'alive' | 'down' | 'unknown';
  tone: 'ok' | 'bad' | 'idle';
  /** The badge itself: `agent alive` / `agent down since 01:50:12 UTC` / `agent liveness unknown`. */
  label: string;
}

/** `HH:MM:SS UTC` of an ISO time. */
function hms(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/**
 * The badge of a host's agent liveness.
 * @param agent the worker's judgement (null or undefined: none)
 */
export function agentBadgeText(agent: AgentLiveness | null | undefined): AgentBadgeText {
  if (!agent) return { state: 'unknown', tone: 'idle', label: 'agent liveness unknown' };
  if (agent.alive) return { state: 'alive', tone: 'ok', label: 'agent alive' };
  return { state: 'down', tone: 'bad', label: agent.downSince ? `agent down since ${hms(agent.downSince)}` : 'agent down' };
}

/**
 * The note on a down host's mode: what it shows is the last report_state's, not current truth.
 * @returns `{label: 'as of last report 01:48:57 UTC', title: why}`, or null when alive / unknown
 */
export function modeAsOf(agent: AgentLiveness | null | undefined): { label: string; title: string } | null {
  if (!agent || agent.alive) return null;
  return {
    label: `as of last report ${hms(agent.lastReportAt)}`,
    title: 'The L2 agent is down: this mode is what it last reported (and the last node snapshot held), not its current state.',
  };
}
