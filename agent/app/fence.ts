// Applies the fence plan: the files that keep network managers off the LNI, other managers' claims removed, reloads.
import { type FencePlan, type FenceReload, fencePlan, type LniIdentity } from '../model/fences.ts';
import type { AgentState } from '../model/state.ts';
import type { Distro } from '../model/types.ts';
import type { Deps } from './deps.ts';

/** The process names (/proc/<pid>/comm, 15 characters at most) of the managers the fence talks to. */
const MANAGER_PROCESS: Record<FenceReload, string> = {
  networkd: 'systemd-network',
  networkmanager: 'NetworkManager',
};

/** How a running manager re-reads its files: networkctl(1) `reload`; nmcli(1) `general reload conf`. */
const RELOAD: Record<FenceReload, [string, string[]]> = {
  networkd: ['networkctl', ['reload']],
  networkmanager: ['nmcli', ['general', 'reload', 'conf']],
};

export interface FenceOutcome {
  plan: FencePlan;
  /** Files written, removed (stale or another manager's claim), managers reloaded. */
  written: string[];
  removed: string[];
  reloaded: FenceReload[];
}

/**
 * Writes the plan's files (only what differs), removes what the last plan wrote and this one does not (a predicted
 * kernel name that turned out otherwise) and the other managers' claims, records the files in the state, and — when
 * anything changed — reloads each manager that runs in this network namespace. NetworkManager applies its
 * [device] sections to a device when it appears, so links that exist already are also unmanaged at run time.
 */
export async function applyFences(
  deps: Deps,
  distro: Distro,
  lni: LniIdentity,
  state: AgentState,
  save: () => Promise<void>,
  /** The kernel names actually seen (kept in the state: a later run finds the link renamed already). */
  seenKernelNames: string[] = state.fences?.kernelNames ?? [],
): Promise<FenceOutcome> {
  const plan = fencePlan(distro, lni);
  const outcome: FenceOutcome = { plan, written: [], removed: [], reloaded: [] };
  for (const f of plan.files) if (await deps.files.write(f.path, f.content)) outcome.written.push(f.path);
  const stale = (state.fences?.files ?? []).filter((p) => !plan.files.some((f) => f.path === p));
  for (const p of [...stale, ...plan.remove]) if (await deps.files.remove(p)) outcome.removed.push(p);
  state.fences = { files: plan.files.map((f) => f.path), kernelNames: seenKernelNames };
  await save();
  for (const path of outcome.written) deps.log.info({ path }, 'fence: wrote');
  for (const path of outcome.removed) deps.log.info({ path }, 'fence: removed');
  if (!outcome.written.length && !outcome.removed.length) return outcome;
  for (const manager of plan.reload) {
    if (!(await deps.processes.byName(MANAGER_PROCESS[manager])).length) continue;
    const [file, args] = RELOAD[manager];
    const r = await deps.runner.run(file, args, { timeoutMs: 10_000 });
    if (r.exitCode !== 0)
      deps.log.warn(
        { manager, exitCode: r.exitCode, stderr: r.stderr.trim() },
        `fence: ${file} ${args.join(' ')} failed; ${manager} may claim the LNI until it re-reads its configuration`,
      );
    else outcome.reloaded.push(manager);
    if (manager === 'networkmanager') await unmanageNow(deps, plan.unmanage);
  }
  for (const manager of outcome.reloaded) deps.log.info({ manager }, 'fence: reloaded');
  return outcome;
}

async function unmanageNow(deps: Deps, ifnames: string[]): Promise<void> {
  if (!ifnames.length) return;
  const present = new Set((await deps.hostNet.links()).map((l) => l.name));
  for (const ifname of ifnames.filter((n) => present.has(n))) {
    const r = await deps.runner.run('nmcli', ['device', 'set', ifname, 'managed', 'no'], {
      timeoutMs: 10_000,
    });
    if (r.exitCode !== 0)
      deps.log.warn({ ifname, stderr: r.stderr.trim() }, 'fence: nmcli device set managed no failed');
  }
}

/** Every file a fence wrote (release removes them; older state files kept them under host.files). */
export function fenceFilesOf(state: AgentState): string[] {
  return [...new Set([...(state.fences?.files ?? []), ...(state.host?.files ?? [])])];
}

export type { LniIdentity };
