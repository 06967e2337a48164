'use client';
/**
 * A host's L2 agent liveness as a badge (`data-testid="host-agent-badge"`): alive, or down since T
 * with a link to its `agent_down` finding, and the last report_state beside it. The verdict is the
 * worker's (domain `AgentLiveness`), never recomputed here.
 */
import type { AgentLiveness } from '@l2scope/domain';
import { agentBadgeText, agentDownHref } from '@/host-view/agent';
import { ago, dateTime } from '@/lib/format';

/** The badge of `host`'s agent; `lastReportAt` is the fallback text when the worker gave no verdict. */
export function AgentBadge({
  host,
  agent,
  now,
  lastReportAt = null,
}: {
  host: string;
  agent: AgentLiveness | null | undefined;
  now: number;
  lastReportAt?: string | null;
}) {
  const t = agentBadgeText(agent);
  const last = agent?.lastReportAt ?? lastReportAt;
  return (
    <span className="agent-liveness" data-testid="host-agent-badge" data-alive={t.state === 'unknown' ? 'unknown' : String(t.state === 'alive')}>
      {t.state === 'down' ? (
        <a
          href={agentDownHref(host)}
          className="badge tone-bad"
          data-testid="host-agent-down-link"
          title={`No report_state for longer than agent_down_time: neutron-server counts this agent as down (alive: false). Open the agent_down finding.`}
        >
          {t.label}
        </a>
      ) : (
        <span
          className={`badge ${t.tone === 'ok' ? 'l2pop-on' : 'l2pop-unknown'}`}
          title={t.state === 'alive' ? 'report_state within agent_down_time' : 'No liveness verdict: no report_state seen, or no analysis yet'}
        >
          {t.label}
        </span>
      )}
      <span className="muted small" title={last ? `last report_state ${dateTime(last)}` : undefined} data-testid="host-agent-last-report">
        {last ? `last report ${ago(last, now)}` : 'no report_state seen'}
      </span>
    </span>
  );
}
