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
 * The hook to complete: the configured one (it must exist and be a terminating hook), else the group's only
 * terminating hook. Several terminating hooks without a configured name is refused: completing another
 * tool's hook (aws-node-termination-handler's, say) would cut its work short.
 */
export function pickTerminatingHook(
  hooks: readonly LifecycleHookFacts[],
  configuredName?: string,
): { hook: LifecycleHookFacts } | { problem: string } {
  const terminating = hooks.filter((h) => h.transition === TERMINATING_TRANSITION);
  if (configuredName !== undefined) {
    const named = hooks.find((h) => h.name === configuredName);
    if (!named) return { problem: `the group has no lifecycle hook named ${configuredName}` };
    if (named.transition !== TERMINATING_TRANSITION)
      return {
        problem: `lifecycle hook ${configuredName} is a ${named.transition} hook, not a terminating one`,
      };
    return { hook: named };
  }
  const [only, ...more] = terminating;
  if (!only) return { problem: `the group has no ${TERMINATING_TRANSITION} lifecycle hook` };
  if (more.length)
    return {
      problem: `the group has ${terminating.length} terminating hooks (${terminating.map((h) => h.name).join(', ')}); set lifecycleHook.name`,
    };
  return { hook: only };
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
