// Pure: the Auto Scaling termination lifecycle hook — when the node is terminating, which hook to complete, when to heartbeat.
//
// Source: Amazon EC2 Auto Scaling User Guide — an instance leaving the group with an
// autoscaling:EC2_INSTANCE_TERMINATING hook waits in Terminating:Wait while IMDS
// `autoscaling/target-lifecycle-state` says `Terminated`; it leaves the wait on CompleteLifecycleAction
// (CONTINUE or ABANDON) or when HeartbeatTimeout passes without a RecordLifecycleActionHeartbeat, each of
// which restarts that timeout.

export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';

export interface LifecycleHookFacts {
  name: string;
  group: string;
  transition: string;
  heartbeatTimeoutSeconds: number;
  defaultResult?: string;
}

/** The hook the agent acts on, with what it needs to keep it alive. */
export interface HookTarget {
  group: string;
  hook: string;
  heartbeatTimeoutSeconds: number;
}

/** IMDS `autoscaling/target-lifecycle-state` (absent off an Auto Scaling group). */
export function isTerminating(targetLifecycleState: string | undefined): boolean {
  return targetLifecycleState?.trim() === 'Terminated';
}

/**
 * The hook the agent owns, by its configured name: it must exist in the group and be a terminating hook. The agent
 * never picks a hook by itself: a group's terminating hook may belong to another tool (aws-node-termination-handler
 * completes the hook named in the event it received, after its drain), and completing that one would cut its work
 * short.
 */
export function pickOwnedHook(
  hooks: readonly LifecycleHookFacts[],
  ownedName: string,
): { hook: LifecycleHookFacts } | { problem: string } {
  const named = hooks.find((h) => h.name === ownedName);
  if (!named)
    return {
      problem: `the group has no lifecycle hook named ${ownedName} (lifecycleHook.name); it has ${hooks.map((h) => h.name).join(', ') || 'none'}`,
    };
  if (named.transition !== TERMINATING_TRANSITION)
    return {
      problem: `lifecycle hook ${ownedName} is a ${named.transition} hook, not a terminating one`,
    };
  return { hook: named };
}

export interface HeartbeatSchedule {
  /** ms after the agent noticed `Terminated` until the first heartbeat. */
  firstMs: number;
  /** ms between heartbeats after that. */
  everyMs: number;
}

/** Heartbeats more often than this would only load the API (a heartbeat restarts the whole timeout). */
const MIN_HEARTBEAT_MS = 500;

/**
 * Heartbeats every `share` of the timeout. The hook's clock started when IMDS turned `Terminated`, up to one
 * poll before the agent noticed, so the first heartbeat comes that much earlier.
 */
export function heartbeatSchedule(input: {
  heartbeatTimeoutSeconds: number;
  share: number;
  pollSeconds: number;
}): HeartbeatSchedule {
  const everyMs = Math.max(MIN_HEARTBEAT_MS, input.share * input.heartbeatTimeoutSeconds * 1000);
  const firstMs = Math.max(MIN_HEARTBEAT_MS, everyMs - input.pollSeconds * 1000);
  return { firstMs: Math.min(firstMs, everyMs), everyMs };
}
