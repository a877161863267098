// The lifecycle hook decisions: when the node is terminating, which hook the agent completes, when it heartbeats.
import { describe, expect, it } from 'vitest';
import {
  heartbeatSchedule,
  isTerminating,
  type LifecycleHookFacts,
  pickOwnedHook,
  TERMINATING_TRANSITION,
} from '../../agent/model/lifecycle-hook.ts';

const hook = (name: string, transition = TERMINATING_TRANSITION): LifecycleHookFacts => ({
  name,
  group: 'g',
  transition,
  heartbeatTimeoutSeconds: 300,
});
const launching = hook('launch', 'autoscaling:EC2_INSTANCE_LAUNCHING');

describe('isTerminating', () => {
  it.each([
    ['Terminated', true],
    ['Terminated\n', true],
    ['InService', false],
    ['Warmed:Terminated', false],
    [undefined, false],
  ])('%o → %s', (state, expected) => {
    expect(isTerminating(state)).toBe(expected);
  });
});

describe('pickOwnedHook', () => {
  it('takes the configured hook among several (another tool owns the rest)', () => {
    expect(pickOwnedHook([hook('nth'), hook('agent')], 'agent')).toEqual({
      hook: expect.objectContaining({ name: 'agent' }),
    });
  });

  it.each([
    [
      'the only terminating hook when it is not the configured one (it belongs to another tool)',
      [launching, hook('nth-drain')],
      'agent',
      /no lifecycle hook named agent \(lifecycleHook.name\); it has launch, nth-drain/,
    ],
    ['a configured name that does not exist', [hook('drain')], 'other', /no lifecycle hook named other/],
    ['a configured launching hook', [launching], 'launch', /not a terminating one/],
  ])('refuses %s', (_, hooks, name, problem) => {
    const picked = pickOwnedHook(hooks, name);
    expect('problem' in picked && picked.problem).toMatch(problem);
  });
});

describe('heartbeatSchedule', () => {
  it.each([
    // timeout s, share, poll s → first ms, every ms
    [300, 0.5, 2, 148_000, 150_000],
    [3600, 0.25, 2, 898_000, 900_000],
    [4, 0.5, 2, 500, 2000],
    [1, 0.1, 2, 500, 500],
  ])(
    'HeartbeatTimeout %i s, share %f, poll %i s → first after %i ms, then every %i ms',
    (t, share, poll, first, every) => {
      expect(heartbeatSchedule({ heartbeatTimeoutSeconds: t, share, pollSeconds: poll })).toEqual({
        firstMs: first,
        everyMs: every,
      });
    },
  );
});
