import { describe, expect, it } from 'vitest';
import { type AgentCommand, agentCommandSchema, canTransition, checkAgentCommand, commandReplySchema, transition } from '../../src';

const base = { id: 'c0ffee00-0000-4000-8000-000000000001', host: 'compute1', issuedAt: 1_000, expiresAt: 1_060 };
const cmd = (over: Partial<AgentCommand> = {}): AgentCommand =>
  agentCommandSchema.parse({ ...base, action: 'set_mode', params: { job: 'j1', change: { l2_population: false } }, ...over });

describe('agent command contract', () => {
  it('accepts only the allowlisted actions with their exact params', () => {
    expect(agentCommandSchema.safeParse({ ...base, action: 'restart_agent', params: { job: 'j1' } }).success).toBe(true);
    expect(agentCommandSchema.safeParse({ ...base, action: 'exec', params: { argv: ['rm', '-rf', '/'] } }).success).toBe(false);
    expect(agentCommandSchema.safeParse({ ...base, action: 'restart_agent', params: { job: 'j1', command: 'reboot' } }).success).toBe(false);
    expect(agentCommandSchema.safeParse({ ...base, action: 'set_mode', params: { job: 'j1', change: {} } }).success).toBe(false);
    expect(agentCommandSchema.safeParse({ ...base, action: 'set_mode', params: { job: '../etc', change: { arp_responder: true } } }).success).toBe(false);
    expect(agentCommandSchema.safeParse({ ...base, extra: 1, action: 'restart_agent', params: { job: 'j1' } }).success).toBe(false);
  });

  it('refuses another host, a long lifetime, the future, expiry and replays, in that order', () => {
    const never = () => false;
    expect(checkAgentCommand(cmd(), 'compute1', 1_010, never)).toBeNull();
    expect(checkAgentCommand(cmd(), 'compute2', 1_010, never)).toBe('wrong_host');
    expect(checkAgentCommand(cmd({ expiresAt: 1_061 }), 'compute1', 1_010, never)).toBe('lifetime_too_long');
    expect(checkAgentCommand(cmd({ expiresAt: 999 }), 'compute1', 1_010, never)).toBe('lifetime_too_long');
    expect(checkAgentCommand(cmd(), 'compute1', 990, never)).toBe('not_yet_valid');
    expect(checkAgentCommand(cmd(), 'compute1', 1_066, never)).toBe('expired');
    expect(checkAgentCommand(cmd(), 'compute1', 1_010, (id) => id === base.id)).toBe('replayed');
  });

  it('reads a reply and refuses an unknown status', () => {
    const reply = { commandId: base.id, host: 'compute1', action: 'set_mode', job: 'j1', status: 'done', at: '2026-12-05T12:00:00.000Z' };
    expect(commandReplySchema.safeParse(reply).success).toBe(true);
    expect(commandReplySchema.safeParse({ ...reply, status: 'maybe' }).success).toBe(false);
  });
});

describe('toggle job state machine', () => {
  it('walks the happy path and the rollback path, and nothing else', () => {
    const path = ['planned', 'approved', 'applying', 'restarting', 'verifying', 'done'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('verifying', 'failed')).toBe(true);
    expect(canTransition('failed', 'rolling_back')).toBe(true);
    expect(canTransition('rolling_back', 'rolled_back')).toBe(true);
    expect(canTransition('planned', 'applying')).toBe(false);
    expect(canTransition('done', 'rolling_back')).toBe(false);
    expect(() => transition('rolled_back', 'applying')).toThrow(/rolled_back to applying/);
  });
});
