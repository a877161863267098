// `release`: undo exactly what the state file records, in reverse order; "already gone" is success.
import type { AgentConfig } from '../config/schema.ts';
import { AgentError, InterruptedError } from '../errors.ts';
import { recordLni } from '../model/metrics.ts';
import { undoHost } from '../model/plan-host.ts';
import type { AgentState } from '../model/state.ts';
import type { HostStep } from '../model/types.ts';
import type { Deps } from './deps.ts';
import { discoverLifecycle } from './discover.ts';
import { fenceFilesOf, withdrawDhcpClaim } from './fence.ts';
import { recordedHost } from './host-plan.ts';
import { lniNow } from './metrics.ts';
import { releaseSnat } from './snat.ts';

export type ReleaseReason = 'manual' | 'stop' | 'terminate';

export interface ReleaseOptions {
  reason: ReleaseReason;
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface ReleaseResult {
  /** What the policy decided: undo everything, or keep the LNI for the node's next boot. */
  action: 'release' | 'keep' | 'nothing';
  terminating: boolean;
  hostSteps: HostStep[];
  deletedEni?: string;
  detachedEni?: string;
  filesRemoved: string[];
}

/** Terminating (ASG lifecycle state or an explicit reason) → onTerminate; a plain stop → onStop; by hand → all. */
export function releasePolicy(config: AgentConfig, reason: ReleaseReason, lifecycle: string | undefined) {
  const terminating = reason === 'terminate' || lifecycle === 'Terminated';
  if (terminating)
    return { terminating, action: config.release.onTerminate === 'delete' ? 'release' : 'keep' } as const;
  if (reason === 'stop')
    return { terminating, action: config.release.onStop === 'delete' ? 'release' : 'keep' } as const;
  return { terminating, action: 'release' } as const;
}

export async function release(config: AgentConfig, deps: Deps, opts: ReleaseOptions): Promise<ReleaseResult> {
  const deadline = deps.clock.now() + config.release.timeoutSeconds * 1000;
  const unlock = opts.dryRun
    ? async () => {}
    : await deps.locks.acquire(config.paths.lockFile, config.paths.lockWaitSeconds);
  try {
    const state = await deps.state.load();
    const result: ReleaseResult = { action: 'nothing', terminating: false, hostSteps: [], filesRemoved: [] };
    if (!state?.eni && !state?.host) {
      deps.log.info({ stateFile: config.paths.stateFile }, 'release: nothing recorded, nothing to do');
      return result;
    }
    const inst = await discoverLifecycle(deps.imds).catch((err: unknown) => {
      // At shutdown IMDS may already be gone; the recorded state is enough to release.
      deps.log.warn({ err: (err as Error).message }, 'release: IMDS unavailable; using the state file only');
      return undefined;
    });
    const policy = releasePolicy(config, opts.reason, inst?.targetLifecycleState);
    Object.assign(result, policy);
    deps.log.info(
      { reason: opts.reason, lifecycle: inst?.targetLifecycleState, ...policy },
      'release policy',
    );
    if (policy.action === 'keep') return result;

    const remaining = () => Math.max(1, Math.floor((deadline - deps.clock.now()) / 1000));
    const checkpoint = (next: string) => {
      if (opts.signal?.aborted) throw new InterruptedError(`stopped by signal before ${next}`);
      if (deps.clock.now() > deadline)
        throw new AgentError(
          `release gave up after release.timeoutSeconds=${config.release.timeoutSeconds}s, before ${next}`,
        );
    };
    const save = async () => {
      if (!opts.dryRun)
        await deps.state.save({ ...state, updatedAt: new Date(deps.clock.now()).toISOString() });
    };

    checkpoint('host');
    await releaseSnat(deps, state, opts.dryRun);
    await releaseHost(config, deps, state, opts.dryRun, result);
    await save();

    checkpoint('EC2');
    const recordedEni = state.eni;
    const region = inst?.region ?? regionFromState(state);
    if (state.eni && region)
      await releaseEni(deps, state, region, opts.dryRun, remaining, checkpoint, result);
    await save();
    if (!opts.dryRun) {
      // Detached or deleted: gone from the host. Otherwise (no region known) it is still there, unconfigured.
      const lni =
        result.detachedEni || result.deletedEni
          ? { present: false, up: false }
          : await lniNow(deps, { ...state, eni: recordedEni, host: undefined });
      await deps.metrics.update((m) => recordLni(m, lni));
    }
    return result;
  } finally {
    await unlock();
  }
}

function regionFromState(state: AgentState): string | undefined {
  return state.region;
}

async function releaseHost(
  config: AgentConfig,
  deps: Deps,
  state: AgentState,
  dryRun: boolean,
  result: ReleaseResult,
) {
  const host = state.host;
  if (host) {
    if (state.dhcp && !dryRun) {
      // A network manager lets go of the lease when its claim goes; dhclient is stopped (and releases) here.
      await withdrawDhcpClaim(deps, config, state, async () => {});
      await deps.dhcp(state.dhcp.client ?? 'dhclient').stop({ ifname: state.dhcp.ifname });
    }
    const d = recordedHost(config, host);
    const observed = await deps.hostNet.observe({
      ifnames: [d.lniName, d.ifname],
      table: d.table,
      sysctlKeys: Object.keys(host.sysctlsBefore),
    });
    result.hostSteps = undoHost(observed, d, host.sysctlsBefore);
    if (host.vlan && observed.links.some((l) => l.name === host.vlan?.name))
      result.hostSteps.push({ kind: 'link-del', ifname: host.vlan.name });
    for (const s of result.hostSteps) deps.log.info({ step: s }, dryRun ? `would ${s.kind}` : s.kind);
    if (!dryRun && result.hostSteps.length) await deps.hostNet.apply(result.hostSteps);
  }
  // The fence goes too (also when up stopped between the fence and the host step): the files are only removed,
  // no manager is reloaded, so none reaches for the LNI before it is detached.
  for (const path of fenceFilesOf(state)) {
    if (dryRun) result.filesRemoved.push(path);
    else if (await deps.files.remove(path)) result.filesRemoved.push(path);
  }
  if (!dryRun) {
    state.fences = undefined;
    state.host = undefined;
    state.dhcp = undefined;
    state.join = undefined;
  }
}

async function releaseEni(
  deps: Deps,
  state: AgentState,
  region: string,
  dryRun: boolean,
  remaining: () => number,
  checkpoint: (next: string) => void,
  result: ReleaseResult,
) {
  const recorded = state.eni;
  if (!recorded) return;
  if (!recorded.createdByAgent) {
    // Adopted (a launch template attached it): not ours to detach or delete.
    deps.log.info(
      { eni: recorded.id },
      'release: the LNI was adopted, not created by the agent; leaving it attached',
    );
    if (!dryRun) state.eni = undefined;
    return;
  }
  const ec2 = deps.ec2(region);
  const [live] = await ec2.describeNetworkInterfaces({ ids: [recorded.id] }).catch((err: unknown) => {
    if ((err as { details?: { code?: string } }).details?.code === 'InvalidNetworkInterfaceID.NotFound')
      return [];
    throw err;
  });
  if (live?.attachment && live.attachment.status !== 'detached') {
    checkpoint('detach');
    deps.log.info(
      { eni: recorded.id, attachment: live.attachment.attachmentId },
      dryRun ? 'would detach' : 'detach',
    );
    if (!dryRun) {
      await ec2.detachNetworkInterface({ attachmentId: live.attachment.attachmentId });
      await ec2.waitForDetached({ eniId: recorded.id, timeoutSeconds: remaining() });
    }
    result.detachedEni = recorded.id;
  }
  if (live) {
    checkpoint('delete');
    deps.log.info({ eni: recorded.id }, dryRun ? 'would delete' : 'delete');
    if (!dryRun) await ec2.deleteNetworkInterface({ eniId: recorded.id });
  }
  result.deletedEni = recorded.id;
  if (!dryRun) {
    state.eni = undefined;
    // The next create must not reuse a ClientToken whose ENI is now deleted.
    state.tokenGeneration += 1;
    state.pendingCreate = undefined;
  }
}
