// The termination lifecycle hook from the node, without SQS: notice `Terminated` in IMDS, release, heartbeat, complete.
import type { AgentConfig } from '../config/schema.ts';
import { AgentError, ImdsError } from '../errors.ts';
import { type HookTarget, heartbeatSchedule, isTerminating, pickOwnedHook } from '../model/lifecycle-hook.ts';
import { recordHookCompletion } from '../model/metrics.ts';
import type { AutoScaling } from '../ports/autoscaling.ts';
import type { Deps } from './deps.ts';
import { type ReleaseResult, release } from './release.ts';

const TARGET_LIFECYCLE_STATE = 'meta-data/autoscaling/target-lifecycle-state';

export interface TerminationOutcome {
  released: boolean;
  /** Why release failed (the hook is completed anyway, so the group is not held up until the timeout). */
  releaseError?: string;
  /** The hook acted on (absent without `lifecycleHook.name`, or when it could not be found). */
  hook?: HookTarget;
  heartbeats: number;
  /** `done`: CompleteLifecycleAction CONTINUE accepted; `not-waiting`: nothing was waiting any more. */
  completion: 'done' | 'not-waiting' | 'failed' | 'skipped';
  /** What release undid (absent when it failed). */
  result?: ReleaseResult;
}

/**
 * Polls IMDS every `lifecycleHook.pollSeconds` (one IMDSv2 token serves every read; no EC2 call) and calls
 * `onTerminated` once, when the target lifecycle state turns `Terminated`. Returns a function that stops it.
 */
export function pollTargetLifecycleState(
  config: AgentConfig,
  deps: Pick<Deps, 'imds' | 'log'>,
  onTerminated: () => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const poll = async () => {
    const state = await deps.imds.get(TARGET_LIFECYCLE_STATE).catch((err: unknown) => {
      deps.log.debug({ err: (err as Error).message }, 'lifecycle: IMDS read failed; trying again next poll');
      return undefined;
    });
    if (stopped) return;
    if (isTerminating(state)) {
      stop();
      onTerminated();
      return;
    }
    timer = setTimeout(poll, config.lifecycleHook.pollSeconds * 1000);
  };
  void poll();
  return stop;
}

/** The owned hook and its group (configured, else found through the Auto Scaling API), with its timeout. */
async function findHook(
  config: AgentConfig,
  deps: Deps,
  asg: AutoScaling,
  instanceId: string,
  name: string,
): Promise<HookTarget | undefined> {
  const { group: configuredGroup } = config.lifecycleHook;
  const group = configuredGroup ?? (await asg.groupOf(instanceId));
  if (!group) {
    deps.log.error(
      { instanceId },
      'lifecycle: the instance is in no Auto Scaling group; nothing to complete',
    );
    return undefined;
  }
  const picked = pickOwnedHook(await asg.lifecycleHooks(group, [name]), name);
  if ('problem' in picked) {
    deps.log.error({ group }, `lifecycle: ${picked.problem}`);
    return undefined;
  }
  return { group, hook: picked.hook.name, heartbeatTimeoutSeconds: picked.hook.heartbeatTimeoutSeconds };
}

/** Sends RecordLifecycleActionHeartbeat on `heartbeatSchedule` until stopped; returns the stop function. */
function keepAlive(
  config: AgentConfig,
  deps: Deps,
  asg: AutoScaling,
  target: HookTarget & { instanceId: string },
  since: { detectedAt: number; count: () => void },
): () => void {
  const { firstMs, everyMs } = heartbeatSchedule({
    heartbeatTimeoutSeconds: target.heartbeatTimeoutSeconds,
    share: config.lifecycleHook.heartbeatShare,
    pollSeconds: config.lifecycleHook.pollSeconds,
  });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    const answer = await asg.recordHeartbeat(target).catch((err: unknown) => {
      deps.log.warn({ err: (err as Error).message }, 'lifecycle: heartbeat failed');
      return 'failed' as const;
    });
    if (answer === 'done') since.count();
    deps.log.info(
      { group: target.group, hook: target.hook, answer },
      'lifecycle: heartbeat (release still running)',
    );
    if (!stopped && answer !== 'not-waiting') timer = setTimeout(beat, everyMs);
  };
  timer = setTimeout(beat, Math.max(0, firstMs - (deps.clock.now() - since.detectedAt)));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * The node is terminating: release the LNI per the terminate policy and, when `lifecycleHook.name` names the hook
 * this agent owns, keep that hook alive while release runs and complete it with CONTINUE afterwards — also when
 * release failed, so a node never holds its group up until the hook times out. No other hook is ever touched.
 */
export async function handleTermination(
  config: AgentConfig,
  deps: Deps,
  opts: { signal?: AbortSignal } = {},
): Promise<TerminationOutcome> {
  const outcome = await releaseAndComplete(config, deps, opts);
  await deps.metrics.update((m) => recordHookCompletion(m, outcome.completion));
  return outcome;
}

async function releaseAndComplete(
  config: AgentConfig,
  deps: Deps,
  opts: { signal?: AbortSignal },
): Promise<TerminationOutcome> {
  const { log } = deps;
  const detectedAt = deps.clock.now();
  const owned = config.lifecycleHook.name;
  log.warn(
    { hook: owned },
    'lifecycle: the instance is terminating (target-lifecycle-state Terminated); releasing the LNI',
  );
  const outcome: TerminationOutcome = { released: false, heartbeats: 0, completion: 'skipped' };
  const located = owned
    ? Promise.all([deps.imds.get('meta-data/instance-id'), deps.imds.get('meta-data/placement/region')]).then(
        async ([instanceId, region]) => {
          if (!instanceId || !region)
            throw new ImdsError('IMDS has no meta-data/instance-id or placement/region');
          const asg = deps.autoScaling(region.trim());
          const hook = await findHook(config, deps, asg, instanceId.trim(), owned);
          return hook && { asg, target: { ...hook, instanceId: instanceId.trim() } };
        },
      )
    : undefined;
  let stopHeartbeats = () => {};
  let releasing = true;
  void located?.then(
    (found) => {
      if (found && releasing)
        stopHeartbeats = keepAlive(config, deps, found.asg, found.target, {
          detectedAt,
          count: () => outcome.heartbeats++,
        });
    },
    () => {},
  );

  // Another release (systemd's ExecStop) may hold the lock: wait for it rather than fail; it leaves nothing to do.
  const lockWaitSeconds = Math.max(config.paths.lockWaitSeconds, config.release.timeoutSeconds);
  try {
    outcome.result = await release({ ...config, paths: { ...config.paths, lockWaitSeconds } }, deps, {
      reason: 'terminate',
      dryRun: false,
      signal: opts.signal,
    });
    outcome.released = true;
  } catch (err) {
    outcome.releaseError = (err as Error).message;
    log.error(
      { err: outcome.releaseError },
      'lifecycle: release failed; completing the lifecycle hook anyway',
    );
  } finally {
    releasing = false;
    stopHeartbeats();
  }
  if (!located) {
    log.info('lifecycle: no lifecycleHook.name configured; leaving every lifecycle hook to its owner');
    return outcome;
  }
  const found = await located.catch((err: unknown) => {
    log.error({ err: (err as Error).message }, 'lifecycle: could not find the lifecycle hook to complete');
    return undefined;
  });
  if (!found) {
    outcome.completion = 'failed';
    return outcome;
  }
  const { instanceId: _instanceId, ...hook } = found.target;
  outcome.hook = hook;
  outcome.completion = await found.asg
    .completeLifecycleAction({ ...found.target, result: 'CONTINUE' })
    .catch((err: unknown) => {
      log.error({ err: (err as Error).message }, 'lifecycle: CompleteLifecycleAction failed');
      return 'failed' as const;
    });
  const message =
    outcome.completion === 'done'
      ? 'lifecycle: completed the lifecycle action (CONTINUE)'
      : outcome.completion === 'not-waiting'
        ? 'lifecycle: no lifecycle action was waiting any more (completed elsewhere, or timed out)'
        : 'lifecycle: the lifecycle action was not completed; the group continues at the hook timeout';
  log[outcome.completion === 'failed' ? 'error' : 'info'](
    { group: found.target.group, hook: found.target.hook, heartbeats: outcome.heartbeats },
    message,
  );
  return outcome;
}

/**
 * systemd's stop path (`release --reason stop`). When the node is shut down while its group waits on the
 * termination hook (IMDS says `Terminated`), it does what `watch` would: release with the terminate policy, heartbeats,
 * then CompleteLifecycleAction — so the group is not held up when `watch` is not running or was stopped first (a
 * second completion finds nothing waiting, which is fine). Otherwise a plain release with the stop policy.
 */
export async function releaseOnStop(
  config: AgentConfig,
  deps: Deps,
  opts: { signal?: AbortSignal } = {},
): Promise<ReleaseResult> {
  const state = await deps.imds.get(TARGET_LIFECYCLE_STATE).catch(() => undefined);
  if (!isTerminating(state))
    return release(config, deps, { reason: 'stop', dryRun: false, signal: opts.signal });
  const outcome = await handleTermination(config, deps, opts);
  if (!outcome.result)
    throw new AgentError(
      `release failed (the lifecycle hook was ${outcome.completion === 'done' ? 'completed anyway' : `not completed: ${outcome.completion}`}): ${outcome.releaseError}`,
    );
  return outcome.result;
}
