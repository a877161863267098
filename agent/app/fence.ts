// Applies the fence plan: the files that keep network managers off the LNI, other managers' claims removed, reloads.

import type { AgentConfig } from '../config/schema.ts';
import type { DhcpClientsAvailable } from '../model/dhcp-client.ts';
import {
  type DhcpClaim,
  type FencePlan,
  type FenceReload,
  fencePlan,
  type LniIdentity,
} from '../model/fences.ts';
import type { AgentState } from '../model/state.ts';
import type { Distro } from '../model/types.ts';
import type { Deps } from './deps.ts';
import { detectDistro } from './distro.ts';

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
  for (const f of plan.files)
    if (await deps.files.write(f.path, f.content, f.mode)) outcome.written.push(f.path);
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
    if (manager === 'networkmanager') {
      if (plan.manage) await manageNow(deps, plan.manage);
      else {
        await unmanageNow(deps, plan.unmanage);
        // A profile of the agent's that is gone from disk is dropped from NetworkManager too.
        await nmcli(deps, ['connection', 'reload']);
      }
    }
  }
  for (const manager of outcome.reloaded) deps.log.info({ manager }, 'fence: reloaded');
  return outcome;
}

async function nmcli(deps: Deps, args: string[]): Promise<boolean> {
  const r = await deps.runner.run('nmcli', args, { timeoutMs: 10_000 });
  if (r.exitCode !== 0)
    deps.log.warn({ args, stderr: r.stderr.trim() }, `fence: nmcli ${args.join(' ')} failed`);
  return r.exitCode === 0;
}

async function presentOf(deps: Deps, ifnames: string[]): Promise<string[]> {
  if (!ifnames.length) return [];
  const present = new Set((await deps.hostNet.links()).map((l) => l.name));
  return ifnames.filter((n) => present.has(n));
}

async function unmanageNow(deps: Deps, ifnames: string[]): Promise<void> {
  for (const ifname of await presentOf(deps, ifnames))
    await nmcli(deps, ['device', 'set', ifname, 'managed', 'no']);
}

/**
 * NetworkManager DHCP: the profile loaded (nmcli(1) `connection load`; NetworkManager checks the file itself), the
 * device managed again at run time ([device] sections apply only when a device appears) and the profile activated
 * on it without waiting (`--wait 0`): the lease is read as it comes.
 */
async function manageNow(deps: Deps, manage: NonNullable<FencePlan['manage']>): Promise<void> {
  await nmcli(deps, ['connection', 'load', manage.connection.path]);
  for (const ifname of await presentOf(deps, manage.ifnames)) {
    await nmcli(deps, ['device', 'set', ifname, 'managed', 'yes']);
    await nmcli(deps, ['--wait', '0', 'connection', 'up', 'uuid', manage.connection.uuid, 'ifname', ifname]);
  }
}

/** The claim a network manager holds on the LNI for its DHCP lease, as recorded (none for dhclient or other modes). */
export function heldDhcpClaim(config: AgentConfig, state: AgentState): DhcpClaim | undefined {
  const client = state.dhcp?.client;
  if (config.addressing.mode !== 'dhcp' || (client !== 'networkd' && client !== 'networkmanager'))
    return undefined;
  return { client, mtu: config.lni.mtu, timeoutSeconds: config.addressing.timeoutSeconds };
}

/** Which DHCP clients this node has: a network manager running in this network namespace, dhclient installed. */
export async function dhcpClientsAvailable(deps: Deps): Promise<DhcpClientsAvailable> {
  const [networkd, networkManager, dhclient] = await Promise.all([
    deps.processes.byName(MANAGER_PROCESS.networkd).then((p) => p.length > 0),
    deps.processes.byName(MANAGER_PROCESS.networkmanager).then((p) => p.length > 0),
    deps.runner.installed('dhclient'),
  ]);
  return { networkd, networkManager, dhclient };
}

/**
 * release: a network manager holding the LNI's lease is told to let go (its claim back to the plain fence) before
 * anything else is undone, so it releases the lease and removes the address itself; the LNI stays fenced until the
 * files go.
 */
export async function withdrawDhcpClaim(
  deps: Deps,
  config: AgentConfig,
  state: AgentState,
  save: () => Promise<void>,
): Promise<void> {
  const client = state.dhcp?.client;
  if ((client !== 'networkd' && client !== 'networkmanager') || !state.eni) return;
  const { distro } = await detectDistro(deps.files);
  const kernelNames = state.fences?.kernelNames ?? [];
  const name = config.lni.name === 'kernel' ? undefined : config.lni.name;
  await applyFences(
    deps,
    distro,
    { mac: state.eni.mac, instanceId: state.instanceId, name, kernelNames, vlanName: state.host?.vlan?.name },
    state,
    save,
    kernelNames,
  );
}

/** Every file a fence wrote (release removes them; older state files kept them under host.files). */
export function fenceFilesOf(state: AgentState): string[] {
  return [...new Set([...(state.fences?.files ?? []), ...(state.host?.files ?? [])])];
}

export type { LniIdentity };
