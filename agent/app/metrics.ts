// What the commands report to the metrics file: the LNI as the host shows it, and the outcome of each `up`.
import { ExitCode } from '../errors.ts';
import { type LniMetrics, recordLni, recordUp } from '../model/metrics.ts';
import type { AgentState } from '../model/state.ts';
import type { LinkFacts } from '../model/types.ts';
import type { Deps } from './deps.ts';

/** The LNI from links already read: found by the recorded MAC; up when it and its LAN interface (a VLAN) are up. */
export function lniFromLinks(state: AgentState | undefined, links: readonly LinkFacts[]): LniMetrics {
  const mac = state?.eni?.mac.toLowerCase();
  const parent = links.find((l) => mac !== undefined && l.mac === mac && !l.kind?.includes('vlan'));
  const lan = state?.host?.ifname ? links.find((l) => l.name === state.host?.ifname) : parent;
  return {
    present: Boolean(parent),
    up: Boolean(parent?.up && lan?.up),
    interface: state?.host?.ifname ?? parent?.name,
    address: state?.host?.address.address,
    mode: state?.host?.address.source,
  };
}

/** The LNI as the host shows it now (one look at the links; none when nothing is recorded). */
export async function lniNow(
  deps: Pick<Deps, 'hostNet'>,
  state: AgentState | undefined,
): Promise<LniMetrics> {
  if (!state?.eni) return { present: false, up: false };
  return lniFromLinks(state, await deps.hostNet.links().catch(() => []));
}

/**
 * An `up` that ended with EXIT_CODE (0: converged), and the LNI then. Not recorded: refused input (exit 2, nothing
 * changed) and a busy lock (exit 7: another up or release is doing the work, and will say how it went).
 */
export async function recordUpOutcome(
  deps: Pick<Deps, 'metrics' | 'clock'>,
  r: { startedAt: number; exitCode: number; lni: LniMetrics | (() => Promise<LniMetrics>) },
): Promise<void> {
  if (r.exitCode === ExitCode.config || r.exitCode === ExitCode.lockBusy) return;
  const now = deps.clock.now();
  const lni = typeof r.lni === 'function' ? await r.lni() : r.lni;
  await deps.metrics.update((s) => {
    recordUp(s, { atSeconds: now / 1000, durationSeconds: (now - r.startedAt) / 1000, exitCode: r.exitCode });
    recordLni(s, lni);
  });
}
