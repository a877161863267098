// `watch`: keeps the LNI's address, routes, rule, sysctls and pod SNAT as `up` left them; idle between events.
import type { AgentConfig } from '../config/schema.ts';
import { LockBusyError } from '../errors.ts';
import { recordLni, recordRepairs } from '../model/metrics.ts';
import { diffHost } from '../model/plan-host.ts';
import { describeSnatStep } from '../model/plan-snat.ts';
import type { HostStep } from '../model/types.ts';
import type { Deps } from './deps.ts';
import { observeFor, recordedHost } from './host-plan.ts';
import { handleTermination, pollTargetLifecycleState } from './lifecycle-hook.ts';
import { lniFromLinks } from './metrics.ts';
import { snatRepairSteps } from './snat.ts';

export interface WatchOptions {
  signal: AbortSignal;
  /** Called after each repair (tests and benchmarks count them). */
  onRepair?: (steps: HostStep[]) => void;
}

type Trigger = 'start' | 'netlink' | 'sysctl' | 'periodic';

export async function watch(
  config: AgentConfig,
  deps: Deps,
  opts: WatchOptions,
): Promise<{ repairs: number }> {
  const { log, clock } = deps;
  let repairs = 0;
  let pending: Trigger | undefined = 'start';
  let wake: (() => void) | undefined;
  const trigger = (why: Trigger) => {
    pending ??= why;
    wake?.();
  };

  // The sysctls to poll and their wanted values, as the last reconcile found them (undefined: read the state file).
  let sysctlsWanted: Record<string, string> | undefined;
  const reconcile = async (why: Trigger) => {
    const state = await deps.state.load();
    const host = state?.host;
    sysctlsWanted = undefined;
    if (!host) {
      if (why === 'start') log.info('watch: the state file records no LNI configuration yet; waiting for up');
      return;
    }
    // DHCP renewals move the address: the lease file the client keeps is the truth.
    const address = state.dhcp
      ? ((await deps.dhcp(state.dhcp.client ?? 'dhclient').current({ ifname: state.dhcp.ifname })) ??
        host.address)
      : host.address;
    const desired = recordedHost(config, { ...host, address });
    sysctlsWanted = desired.sysctls;
    const observed = await observeFor(deps.hostNet, desired);
    const lniSeen = (links = observed.links) =>
      deps.metrics.update((m) => recordLni(m, lniFromLinks({ ...state, host: { ...host, address } }, links)));
    if (!observed.links.some((l) => l.name === desired.lniName)) {
      log.warn(
        { lni: desired.lniName },
        'watch: the LNI interface is not present; nothing to repair until it returns',
      );
      await lniSeen();
      return;
    }
    const steps = diffHost(observed, desired);
    const snatSteps = await snatRepairSteps(config, deps, desired, state.snat);
    if (!steps.length && !snatSteps.length) return lniSeen();
    let unlock: () => Promise<void>;
    try {
      unlock = await deps.locks.acquire(config.paths.lockFile, 0);
    } catch (err) {
      if (err instanceof LockBusyError) return; // `up`/`release` is running; it owns the host right now
      throw err;
    }
    try {
      if (steps.length) await deps.hostNet.apply(steps);
      if (snatSteps.length) await deps.snat.apply(snatSteps);
      repairs++;
      // The LNI as the repair left it: brought up again if it was down.
      const after = steps.some((s) => s.kind.startsWith('link-'))
        ? await deps.hostNet.links()
        : observed.links;
      await deps.metrics.update((m) => {
        recordRepairs(m, [...steps, ...snatSteps]);
        recordLni(m, lniFromLinks({ ...state, host: { ...host, address } }, after));
      });
      log.warn(
        { trigger: why, steps, ...(snatSteps.length ? { snat: snatSteps.map(describeSnatStep) } : {}) },
        `watch: repaired ${steps.length + snatSteps.length} drifted setting(s) on ${desired.ifname}`,
      );
      opts.onRepair?.(steps);
    } finally {
      await unlock();
    }
  };

  await deps.monitor.start(() => trigger('netlink'), opts.signal);
  let lastFull = 0;
  let sysctlsSeen = '';
  const sysctlTick = setInterval(async () => {
    // Cheap: a few /proc reads, no process spawned. A value that differs from the wanted one triggers a full
    // reconcile, once per change (a drift the reconcile cannot undo is left to the periodic check and its log).
    let wanted = sysctlsWanted;
    if (!wanted) {
      const state = await deps.state.load().catch(() => undefined);
      if (!state?.host) return;
      wanted = recordedHost(config, state.host).sysctls;
    }
    const keys = Object.keys(wanted);
    const values = await Promise.all(keys.map((k) => deps.hostNet.readSysctl(k)));
    const seen = values.join(',');
    if (seen !== sysctlsSeen && keys.some((k, i) => values[i] !== wanted[k])) trigger('sysctl');
    sysctlsSeen = seen;
  }, config.watch.sysctlCheckSeconds * 1000);
  opts.signal.addEventListener('abort', () => wake?.());
  // The Auto Scaling termination lifecycle hook: release, then complete; after that the node is going away.
  let terminating = false;
  const stopLifecyclePoll = pollTargetLifecycleState(config, deps, () => {
    terminating = true;
    wake?.();
  });
  log.info(
    { sysctlCheckSeconds: config.watch.sysctlCheckSeconds, fullCheckSeconds: config.watch.fullCheckSeconds },
    'watch: started',
  );
  try {
    while (!opts.signal.aborted) {
      if (terminating) {
        clearInterval(sysctlTick);
        await handleTermination(config, deps, { signal: opts.signal });
        log.info('watch: the node is terminating; no more repairs until stopped');
        await new Promise<void>((resolve) => {
          if (opts.signal.aborted) resolve();
          else opts.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        break;
      }
      if (pending) {
        const why = pending;
        pending = undefined;
        await clock.sleep(150); // let a burst of netlink events settle into one reconcile
        await reconcile(why).catch((err: unknown) =>
          log.error({ err: (err as Error).message }, 'watch: reconcile failed'),
        );
        lastFull = clock.now();
        continue;
      }
      const untilFull = Math.max(0, lastFull + config.watch.fullCheckSeconds * 1000 - clock.now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, untilFull);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      if (!pending && !opts.signal.aborted && clock.now() >= lastFull + config.watch.fullCheckSeconds * 1000)
        pending = 'periodic';
    }
  } finally {
    clearInterval(sysctlTick);
    stopLifecyclePoll();
  }
  log.info({ repairs }, 'watch: stopped');
  return { repairs };
}
