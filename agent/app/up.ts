// `up`: a short list of named phases over one run — discover, plan, ec2, link, host, snat, join — each timed and
// logged, the stop signal checked between them; idempotent and crash-safe (the state file is saved after each step).
import type { AgentConfig } from '../config/schema.ts';
import { exitCodeOf } from '../errors.ts';
import type { AgentState } from '../model/state.ts';
import type { Deps } from './deps.ts';
import { lniNow, recordUpOutcome } from './metrics.ts';
import { ensureSnat } from './snat.ts';
import { discoverPhase } from './up/discover.ts';
import { ec2Phase } from './up/ec2.ts';
import { hostPhase } from './up/host.ts';
import { joinPhase } from './up/join.ts';
import { linkPhase } from './up/link.ts';
import { planPhase } from './up/plan.ts';
import { UpRun } from './up/run.ts';
import type { UpOptions, UpResult } from './up/types.ts';

export type { UpOptions, UpResult } from './up/types.ts';

/** One phase: `stop` ends the run there (a dry run after `plan`). */
export interface UpPhase {
  name: 'discover' | 'plan' | 'ec2' | 'link' | 'host' | 'snat' | 'join';
  run(run: UpRun): Promise<unknown>;
}

/** Phase `snat`: pod traffic to the LAN leaves with the LNI address, ahead of the VPC CNI's SNAT. */
async function snatPhase(run: UpRun): Promise<void> {
  const state = run.need('state');
  const snat = await ensureSnat(run.config, run.deps, {
    host: run.need('desired'),
    vpcCidrs: run.need('vpcCidrs'),
    subnetCidr: run.need('placement').instanceSubnet.cidrBlock,
    recorded: state.snat,
  });
  state.snat = snat.record;
  await run.save();
}

export const UP_PHASES: readonly UpPhase[] = [
  { name: 'discover', run: discoverPhase },
  { name: 'plan', run: planPhase },
  { name: 'ec2', run: ec2Phase },
  { name: 'link', run: linkPhase },
  { name: 'host', run: hostPhase },
  { name: 'snat', run: snatPhase },
  { name: 'join', run: joinPhase },
];

export async function up(config: AgentConfig, deps: Deps, opts: UpOptions): Promise<UpResult> {
  const unlock = opts.dryRun
    ? async () => {}
    : await deps.locks.acquire(config.paths.lockFile, config.paths.lockWaitSeconds);
  const run = new UpRun(config, deps, opts);
  try {
    for (const phase of UP_PHASES) {
      run.checkpoint(phase.name);
      const started = deps.clock.now();
      const next = await phase.run(run);
      deps.log.debug({ phase: phase.name, ms: deps.clock.now() - started }, `phase ${phase.name}`);
      if (next === 'stop') return run.need('result');
    }
    return await converged(run);
  } catch (err) {
    if (!opts.dryRun) {
      await recordFailure(deps, run, err).catch(() => {});
      await recordUpOutcome(deps, {
        startedAt: run.startedAt,
        exitCode: exitCodeOf(err),
        lni: async () => lniNow(deps, await deps.state.load().catch(() => undefined)),
      });
    }
    throw err;
  } finally {
    await unlock();
  }
}

async function converged(run: UpRun): Promise<UpResult> {
  const { clock, log } = run.deps;
  const state = run.need('state');
  state.lastUp = {
    at: new Date(clock.now()).toISOString(),
    ok: true,
    durationMs: clock.now() - run.startedAt,
  };
  await run.save();
  const eni = run.need('eni');
  const desired = run.need('desired');
  const address = run.need('address');
  log.info(
    {
      eni: eni.networkInterfaceId,
      lni: desired.ifname,
      address: `${address.address}/${address.prefixLength}`,
      ms: clock.now() - run.startedAt,
    },
    'up: converged',
  );
  // Converged means the LNI is there and up with this address: no need to look again.
  await recordUpOutcome(run.deps, {
    startedAt: run.startedAt,
    exitCode: 0,
    lni: {
      present: true,
      up: true,
      interface: desired.ifname,
      address: address.address,
      mode: address.source,
    },
  });
  return {
    instanceId: run.need('inst').instanceId,
    eniId: eni.networkInterfaceId,
    lniName: desired.ifname,
    address,
    ec2Steps: run.need('decision').steps,
    hostSteps: run.need('hostSteps'),
    joined: run.need('joined'),
    dryRun: false,
  };
}

/** The failed run in the state file (lastUp), so status and diagnose can tell. */
async function recordFailure(deps: Deps, run: UpRun, err: unknown) {
  const latest: AgentState | undefined =
    (await deps.state.load()) ?? (run.has('state') ? run.need('state') : undefined);
  if (!latest) return;
  latest.lastUp = {
    at: new Date(deps.clock.now()).toISOString(),
    ok: false,
    durationMs: deps.clock.now() - run.startedAt,
    message: (err as Error).message,
  };
  await deps.state.save(latest);
}
