// Pod traffic to the LAN: SNAT to the LNI address ahead of the VPC CNI's chain, and rules ahead of its per-pod rules.
import type { AgentConfig } from '../config/schema.ts';
import { isValidCidr } from '../model/ipv4.ts';
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
  /** eth0's MAC: IMDS lists the VPC's CIDR blocks under it. */
  primaryMac: string;
  /** The instance subnet's CIDR, the source default when IMDS lists no VPC CIDR. */
  subnetCidr: string;
  /** What the last run created. */
  recorded?: SnatRecord;
}

/** The VPC's IPv4 CIDR blocks from IMDS (pods get addresses from any of them), or undefined. */
async function vpcCidrs(deps: Deps, mac: string): Promise<string[] | undefined> {
  const text = await deps.imds.get(`meta-data/network/interfaces/macs/${mac}/vpc-ipv4-cidr-blocks`);
  const cidrs = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => isValidCidr(l));
  return cidrs.length ? cidrs : undefined;
}

async function applyLogged(deps: Deps, what: string, steps: SnatStep[], dryRun = false): Promise<void> {
  if (!steps.length) return;
  const started = deps.clock.now();
  for (const s of steps) deps.log.info({ step: s }, dryRun ? `would ${s.kind}` : s.kind);
  if (dryRun) return;
  await deps.snat.apply(steps);
  deps.log.info({ step: what, steps: steps.map((s) => s.kind), ms: deps.clock.now() - started }, what);
}

/** Look, then act only on a difference; returns what now exists for the state file (undefined: nothing). */
export async function ensureSnat(
  config: AgentConfig,
  deps: Deps,
  target: SnatTarget,
): Promise<SnatRecord | undefined> {
  const { host } = target;
  const sources = config.snat.sources ?? (await vpcCidrs(deps, target.primaryMac)) ?? [target.subnetCidr];
  const destinations =
    config.snat.destinations ??
    snatDestinations(host.address.address, host.address.prefixLength, host.onPrem);
  const desired = desiredSnat({
    enabled: config.snat.enabled,
    ifname: host.ifname,
    address: host.address.address,
    sources,
    destinations,
    table: host.table,
    rulePriority: config.snat.lanRulePriority,
  });
  const nothingWanted = !desired.chainRules && !desired.dstRules.length;
  // Turned off and nothing recorded: do not even look (a host without iptables is fine then).
  if (nothingWanted && !target.recorded) return undefined;
  const observed = await deps.snat.observe();
  await applyLogged(deps, 'snat-apply', diffSnat(observed, desired, target.recorded));
  if (nothingWanted) return undefined;
  return { backend: pickBackend(observed), chain: SNAT_CHAIN, dstRules: desired.dstRules };
}

/** release: remove the agent's chain, its jump and the recorded rules; "already gone" is success. */
export async function releaseSnat(deps: Deps, state: AgentState, dryRun: boolean): Promise<void> {
  if (!state.snat) return;
  await applyLogged(deps, 'snat-release', undoSnat(await deps.snat.observe(), state.snat), dryRun);
  if (!dryRun) state.snat = undefined;
}
