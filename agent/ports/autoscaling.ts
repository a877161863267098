// Port: the Auto Scaling calls the agent makes for the termination lifecycle hook, in the agent's own types.
import type { LifecycleHookFacts } from '../model/lifecycle-hook.ts';

export interface LifecycleActionTarget {
  group: string;
  hook: string;
  instanceId: string;
}

/** `not-waiting`: Auto Scaling has no action waiting for the instance (completed by someone, or timed out). */
export type LifecycleActionAnswer = 'done' | 'not-waiting';

export interface AutoScaling {
  /** The group the instance belongs to (DescribeAutoScalingInstances); undefined when it is in none. */
  groupOf(instanceId: string): Promise<string | undefined>;
  /** The group's lifecycle hooks (DescribeLifecycleHooks), all of them or only the named ones. */
  lifecycleHooks(group: string, names?: string[]): Promise<LifecycleHookFacts[]>;
  /** RecordLifecycleActionHeartbeat: restarts the hook's timeout. */
  recordHeartbeat(target: LifecycleActionTarget): Promise<LifecycleActionAnswer>;
  /** CompleteLifecycleAction for the instance. */
  completeLifecycleAction(
    target: LifecycleActionTarget & { result: 'CONTINUE' | 'ABANDON' },
  ): Promise<LifecycleActionAnswer>;
}
