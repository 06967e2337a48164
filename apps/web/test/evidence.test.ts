import { describe, expect, it } from 'vitest';
import { agentTypeText, networkDriftClaim, overviewSyncClaim, responderState } from '../src/host-view/evidence';

describe('honest empty states', () => {
  it('overview: no green "all in sync" when nothing was analysed', () => {
    expect(overviewSyncClaim(0, 90, 0)).toEqual({ text: 'not analysed: no node agent has reported (90 hosts known from l2pop only)', tone: 'idle' });
    expect(overviewSyncClaim(0, 0, 0)).toEqual({ text: 'not analysed: no node agent has reported', tone: 'idle' });
    expect(overviewSyncClaim(3, 3, 0)).toEqual({ text: 'all in sync', tone: 'ok' });
    expect(overviewSyncClaim(3, 90, 0)).toEqual({ text: 'the 3 analysed in sync; 87 of 90 hosts not analysed (no node agent)', tone: 'ok' });
    expect(overviewSyncClaim(3, 90, 1)).toEqual({ text: '1 with drift, flood problems or findings; 87 of 90 hosts not analysed (no node agent)', tone: 'bad' });
  });

  it('network: "none" only over analysed hosts', () => {
    expect(networkDriftClaim(0, 90, 0)).toEqual({ text: 'not analysed: no node agent on any of its 90 member hosts', tone: 'idle' });
    expect(networkDriftClaim(0, 0, 0).tone).toBe('idle');
    expect(networkDriftClaim(2, 3, 0)).toEqual({ text: '✓ none on the 2 analysed (of 3)', tone: 'ok' });
    expect(networkDriftClaim(3, 3, 0)).toEqual({ text: '✓ none', tone: 'ok' });
    expect(networkDriftClaim(3, 3, 2)).toEqual({ text: '2 items', tone: 'bad' });
  });

  it('agent type: the report_state type, never "unknown" beside it', () => {
    expect(agentTypeText(null, 'Linux bridge agent')).toBe('Linux bridge agent (as report_state says; no node snapshot)');
    expect(agentTypeText('linuxbridge', 'Linux bridge agent')).toBe('Linux bridge agent');
    expect(agentTypeText('openvswitch', null)).toBe('Open vSwitch agent');
    expect(agentTypeText(null, null)).toBe('agent type not reported yet');
  });

  it('ARP responder: "off" only with evidence', () => {
    expect(responderState(null, null)).toBe('not_analysed');
    expect(responderState('unknown', null)).toBe('not_analysed');
    expect(responderState('off', null)).toBe('off');
    expect(responderState(null, false)).toBe('off');
    expect(responderState('on', false)).toBe('on');
    expect(responderState('off', true)).toBe('on');
  });
});
