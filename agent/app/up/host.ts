// Phase `host`: sysctls before the link comes up, the LAN address (static, DHCP through the node's client, or a pool
// with RFC 5227 probes), then the table, rules and on-prem routes: a pure diff of what is observed against what is
// wanted, applied in one go.
import { HostNetworkError } from '../../errors.ts';
import { pickDhcpClient } from '../../model/dhcp-client.ts';
import type { DhcpClaim } from '../../model/fences.ts';
import { parseCidr, rangeOf } from '../../model/ipv4.ts';
import { desiredHost, diffHost } from '../../model/plan-host.ts';
import type { LanAddress } from '../../model/types.ts';
import { applyFences, dhcpClientsAvailable } from '../fence.ts';
import { hostPlanInput, observeFor } from '../host-plan.ts';
import type { UpRun } from './run.ts';

/** A network manager's DHCP claim on the LNI (its file for it), or none: the fence alone. */
function claim(run: UpRun, dhcp: DhcpClaim | undefined): Promise<void> {
  const kernelNames = run.need('kernelNames');
  return applyFences(
    run.deps,
    run.need('distro'),
    { ...run.identity(run.need('eni').macAddress, kernelNames), dhcp },
    run.need('state'),
    () => run.save(),
    kernelNames,
  ).then(() => undefined);
}

async function dhcpAddress(
  run: UpRun,
  ifname: string,
  timeoutSeconds: number,
  client: 'auto' | 'dhclient' | 'networkd' | 'networkmanager',
): Promise<LanAddress> {
  const { config, deps } = run;
  const choice = pickDhcpClient(client, run.need('distro'), await dhcpClientsAvailable(deps));
  if ('problem' in choice) throw new HostNetworkError(`${choice.problem}; ${choice.hint}`);
  deps.log.info({ client: choice.client, why: choice.why }, 'dhcp: client');
  const managed = choice.client === 'dhclient' ? undefined : choice.client;
  // A network manager's lease: the agent's file for the LNI now asks it for one (the link's sysctls are set).
  if (managed) await claim(run, { client: managed, mtu: config.lni.mtu, timeoutSeconds });
  const lease = await run
    .timed('dhcp-lease', { ifname, client: choice.client }, () =>
      deps.dhcp(choice.client).lease({ ifname, timeoutSeconds }),
    )
    .catch(async (err: unknown) => {
      // Nothing half-configured: the manager is told to let go of the LNI again.
      if (managed) await claim(run, undefined);
      throw err;
    });
  run.need('state').dhcp = { ifname, pidFile: lease.pidFile, client: choice.client };
  return {
    address: lease.address,
    prefixLength: lease.prefixLength,
    gateway: lease.gateway,
    source: 'dhcp',
    ...(managed ? { managedBy: managed } : {}),
  };
}

/** Pool: keep the address this node already claimed, else probe candidates (RFC 5227) and claim the first free one. */
async function poolAddress(
  run: UpRun,
  ifname: string,
  a: { start: string; end: string; prefixLength: number; gateway?: string; probeTimeoutMs: number },
): Promise<LanAddress> {
  const { deps } = run;
  const previous = run.need('state').host?.address;
  const observed = await deps.hostNet.observe({
    ifnames: [ifname],
    table: run.config.routes.table,
    sysctlKeys: [],
  });
  if (
    previous?.source === 'pool' &&
    observed.addresses.some((x) => x.ifname === ifname && x.address === previous.address)
  )
    return { address: previous.address, prefixLength: a.prefixLength, gateway: a.gateway, source: 'pool' };
  for (const candidate of rangeOf(a.start, a.end)) {
    if (candidate === a.gateway) continue;
    const inUse = await deps.hostNet.addressInUse({
      ifname,
      address: candidate,
      timeoutMs: a.probeTimeoutMs,
    });
    deps.log.info({ candidate, inUse }, 'pool probe');
    if (!inUse)
      return { address: candidate, prefixLength: a.prefixLength, gateway: a.gateway, source: 'pool' };
  }
  throw new HostNetworkError(`every address from ${a.start} to ${a.end} is in use on the LAN`);
}

function acquireAddress(run: UpRun, ifname: string): Promise<LanAddress> {
  const a = run.config.addressing;
  if (a.mode === 'static') {
    const { address, prefixLength } = parseCidr(a.address);
    return Promise.resolve({ address, prefixLength, gateway: a.gateway, source: 'static' });
  }
  if (a.mode === 'dhcp') return dhcpAddress(run, ifname, a.timeoutSeconds, a.client);
  return poolAddress(run, ifname, a);
}

export async function hostPhase(run: UpRun): Promise<void> {
  const { config, deps } = run;
  const state = run.need('state');
  const link = run.need('link');
  const base = (address: LanAddress) => desiredHost(hostPlanInput(config, link.name, address));

  // A static address is known now: one look and one apply (sysctls come first in the diff, before link-up).
  // DHCP and the pool need the link up first: a prelude sets the sysctls and brings it up, so the LNI never answers
  // ARP for the VPC address, then the address is acquired and the rest applied.
  const known = config.addressing.mode === 'static' ? await acquireAddress(run, '') : undefined;
  const placeholder = base(known ?? { address: '0.0.0.0', prefixLength: 32, source: 'static' });
  const before = await observeFor(deps.hostNet, placeholder);
  const sysctlsBefore =
    state.host?.sysctlsBefore ??
    Object.fromEntries(
      Object.keys(placeholder.sysctls)
        .map((k) => [k, before.sysctls[k] ?? ''])
        .filter(([, v]) => v !== ''),
    );
  const prelude = known
    ? []
    : diffHost(before, placeholder).filter((s) =>
        ['sysctl', 'link-up', 'link-mtu', 'vlan-add'].includes(s.kind),
      );
  if (prelude.length)
    await run.timed('host-prelude', { steps: prelude.length }, () => deps.hostNet.apply(prelude));
  run.checkpoint('addressing');

  const address = known ?? (await acquireAddress(run, placeholder.ifname));
  const desired = base(address);
  // Nothing changed since `before` unless the prelude ran or a DHCP client just added its lease.
  const observed =
    prelude.length || address.source === 'dhcp' ? await observeFor(deps.hostNet, desired) : before;
  const steps = diffHost(observed, desired);
  if (steps.length)
    await run.timed('host-apply', { steps: steps.map((s) => s.kind) }, () => deps.hostNet.apply(steps));
  if (address.source === 'pool' && steps.some((s) => s.kind === 'addr-add'))
    await deps.hostNet.announce({ ifname: desired.ifname, address: address.address });
  state.host = {
    lniName: desired.lniName,
    ifname: desired.ifname,
    vlan: desired.vlan,
    address,
    table: desired.table,
    rulePriority: desired.rulePriority,
    onPrem: desired.onPrem,
    sysctlsBefore,
  };
  await run.save();
  run.set('address', address);
  run.set('desired', desired);
  run.set('hostSteps', [...prelude, ...steps]);
}
