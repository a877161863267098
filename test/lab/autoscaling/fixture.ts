// The lab's default Auto Scaling group: every lab node, with one termination lifecycle hook that continues on timeout.
import { type AutoScalingFixture, TERMINATING } from './state.ts';

export const LAB_GROUP = 'lab-nodes';
export const LAB_TERMINATING_HOOK = 'lab-node-terminating';

/** Members default to every instance; the heartbeat timeout is seconds, shorter than AWS allows (30 s minimum). */
export function defaultAutoScalingFixture(heartbeatTimeout = 30): AutoScalingFixture {
  return {
    groups: [
      {
        name: LAB_GROUP,
        hooks: [
          {
            name: LAB_TERMINATING_HOOK,
            transition: TERMINATING,
            heartbeatTimeout,
            defaultResult: 'CONTINUE',
          },
        ],
      },
    ],
  };
}
