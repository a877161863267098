// Pod traffic to the LAN: SNAT to the LNI address ahead of the VPC CNI's chain, and rules ahead of its per-pod rules.
import type { AgentConfig } from '../config/schema.ts';
import {
  desiredSnat,
  diffSnat,
  pickBackend,
  SNAT_CHAIN,
  type SnatRecord,
  type SnatStep,
  snatDestinations,
  undoSnat,
} from '../model/plan-snat.ts';
import type { AgentState } from '../model/state.ts';
import type { DesiredHost } from '../model/types.ts';
import type { Deps } from './deps.ts';

export interface SnatTarget {
  /** The LNI host configuration just applied (interface, address, table, on-prem CIDRs). */
  host: DesiredHost;
  /** The VPC's CIDR blocks (IMDS, under eth0's MAC), if IMDS lists any. */
  vpcCidrs?: string[];
  /** The instance subnet's CIDR, the source default when IMDS lists no VPC CIDR. */
  subnetCidr: string;
  /** What the last run created. */
  recorded?: SnatRecord;
}

async function applyLogged(deps: Deps, what: string, steps: SnatStep[], dryRun = false): Promise<void> {
  if (!steps.length) return;
  const started = deps.clock.now();
  for (const s of steps) deps.log.info({ step: s }, dryRun ? `would ${s.kind}` : s.kind);
  if (dryRun) return;
  await deps.snat.apply(steps);
  deps.log.info({ step: what, steps: steps.map((s) => s.kind), ms: deps.clock.now() - started }, what);
}

function planSnat(config: AgentConfig, host: DesiredHost, sources: string[], destinations: string[]) {
  return desiredSnat({
    enabled: config.snat.enabled,
    ifname: host.ifname,
    address: host.address.address,
    sources,
    destinations,
    table: host.table,
    rulePriority: config.snat.lanRulePriority,
  });
}

/**
 * Look, then act only on a difference (with `dryRun`, only log what it would do). Returns what then exists, for
 * the state file (record undefined: nothing), and the steps.
 */
export async function ensureSnat(
  config: AgentConfig,
  deps: Deps,
  target: SnatTarget,
  dryRun = false,
): Promise<{ record?: SnatRecord; steps: SnatStep[] }> {
  const { host } = target;
  const sources = config.snat.sources ?? target.vpcCidrs ?? [target.subnetCidr];
  const destinations =
    config.snat.destinations ??
    snatDestinations(host.address.address, host.address.prefixLength, host.onPrem);
  const desired = planSnat(config, host, sources, destinations);
  const nothingWanted = !desired.chainRules && !desired.dstRules.length;
  // Turned off and nothing recorded: do not even look (a host without iptables is fine then).
  if (nothingWanted && !target.recorded) return { steps: [] };
  const observed = await deps.snat.observe();
  const steps = diffSnat(observed, desired, target.recorded);
  await applyLogged(deps, 'snat-apply', steps, dryRun);
  if (nothingWanted) return { steps };
  const record = {
    backend: pickBackend(observed),
    chain: SNAT_CHAIN,
    dstRules: desired.dstRules,
    sources,
    destinations,
  };
  return { record, steps };
}

/**
 * How the host's nat table and rules differ from what `up` recorded (diagnose shows it, watch repairs it);
 * undefined when there is nothing to compare with: no record, or one from before sources and destinations were kept.
 */
export async function snatDrift(
  config: AgentConfig,
  deps: Deps,
  host: DesiredHost,
  recorded: SnatRecord | undefined,
) {
  if (!recorded?.sources || !recorded.destinations) return undefined;
  const desired = planSnat(config, host, recorded.sources, recorded.destinations);
  const observed = await deps.snat.observe();
  return {
    steps: diffSnat(observed, desired, recorded),
    observed,
    backend: pickBackend(observed),
    ruleCount: desired.chainRules?.length ?? 0,
  };
}

/**
 * watch: the steps that put back what `up` recorded (the chain, its jump first in POSTROUTING, the destination
 * rules) when something moved it, e.g. the VPC CNI re-inserting its own jump ahead of ours after a restart.
 * Nothing when SNAT is off or the state file predates the recorded sources and destinations.
 */
export async function snatRepairSteps(
  config: AgentConfig,
  deps: Deps,
  host: DesiredHost,
  recorded: SnatRecord | undefined,
): Promise<SnatStep[]> {
  if (!config.snat.enabled) return [];
  return (await snatDrift(config, deps, host, recorded))?.steps ?? [];
}

/** release: remove the agent's chain, its jump and the recorded rules; "already gone" is success. */
export async function releaseSnat(deps: Deps, state: AgentState, dryRun: boolean): Promise<void> {
  if (!state.snat) return;
  await applyLogged(deps, 'snat-release', undoSnat(await deps.snat.observe(), state.snat), dryRun);
  if (!dryRun) state.snat = undefined;
}
