'use client';
/**
 * "Switch every host of this network" (the network page): one plan for all the network's hosts
 * (a batch, applied host by host, stop on the first failure). Operators and admins only.
 */
import type { ModeChange } from '@l2scope/domain';
import { useState } from 'react';
import { useSyncFeatures } from '@/hooks/use-sync';
import { errorText } from '@/toggle/errors';
import { TOGGLE_KEYS, type ToggleKey, describeChange } from '@/toggle/mode';
import { Card } from '../host-view/HostViewFrame';
import { usePageUser } from '../SessionUser';
import { PlanDialog } from './PlanDialog';
import { usePlan } from './use-plan';

type Choice = 'keep' | 'on' | 'off';

/** The change of the two selects; null when both are `keep`. */
function changeOf(c: Record<ToggleKey, Choice>): ModeChange | null {
  const out: { l2_population?: boolean; arp_responder?: boolean } = {};
  for (const k of TOGGLE_KEYS) if (c[k] !== 'keep') out[k] = c[k] === 'on';
  return Object.keys(out).length ? (out as ModeChange) : null;
}

export function NetworkToggle({ network }: { network: string }) {
  useSyncFeatures('jobs');
  const user = usePageUser();
  const [choice, setChoice] = useState<Record<ToggleKey, Choice>>({ l2_population: 'keep', arp_responder: 'keep' });
  const [inPlace, setInPlace] = useState(false);
  const { plan, dialog, close } = usePlan();
  if (!user || user.anonymous || (user.role !== 'operator' && user.role !== 'admin')) return null;
  const change = changeOf(choice);
  return (
    <Card title="Switch every host of this network" className="toggle-panel" testid="network-toggle">
      <p className="small muted">
        The safe path: every host of the network changes together (one at a time, stop on the first failure), so no mixed mode stays behind.
      </p>
      <div className="toggle-controls">
        {TOGGLE_KEYS.map((k) => (
          <label key={k} className="switch">
            <span className="mono">{k}</span>
            <select value={choice[k]} onChange={(e) => setChoice((c) => ({ ...c, [k]: e.target.value as Choice }))} data-testid={`network-${k}`}>
              <option value="keep">keep</option>
              <option value="on">on</option>
              <option value="off">off</option>
            </select>
          </label>
        ))}
        <label className="switch">
          <input type="checkbox" checked={inPlace} onChange={(e) => setInPlace(e.target.checked)} />
          in place
        </label>
        <button
          type="button"
          className="btn btn-primary"
          disabled={change === null || plan.isPending}
          onClick={() => change && plan.mutate({ network, change, inPlace })}
          data-testid="plan-network"
        >
          {plan.isPending ? 'Planning…' : change ? `Plan: ${describeChange(change)} on every host` : 'Plan'}
        </button>
        {plan.error && <span className="text-bad small">{errorText(plan.error)}</span>}
      </div>
      {dialog && <PlanDialog jobIds={dialog.jobIds} batchId={dialog.batchId} onClose={close} />}
    </Card>
  );
}
