// `up`: discover → plan → apply EC2 → configure the host → join → save state. Idempotent and crash-safe.

import { EksJoiner, NODECONFIG_PATH } from '../adapters/joiner-eks.ts';
import { detectDistro } from '../adapters/os-release.ts';
import { acquireLock } from '../adapters/state-file.ts';
import type { AgentConfig } from '../config/schema.ts';
import { ConfigError, Ec2Error, HostNetworkError, InterruptedError, PreflightError } from '../errors.ts';
import { pickDhcpClient } from '../model/dhcp-client.ts';
import { type DhcpClaim, predictKernelName } from '../model/fences.ts';
import { parseCidr, rangeOf } from '../model/ipv4.ts';
import { maxPods } from '../model/max-pods.ts';
import { desiredHost, diffHost } from '../model/plan-host.ts';
import { joinMethod, lniLabels } from '../model/plan-join.ts';
import { type Ec2Step, LniConflict, planLni } from '../model/plan-lni.ts';
import type { SnatStep } from '../model/plan-snat.ts';
import { type AgentState, emptyState } from '../model/state.ts';
import { TAG_CREATED_AT, TAG_NO_MANAGE } from '../model/tags.ts';
import type {
  DesiredHost,
  Distro,
  EniFacts,
  HostStep,
  InstanceFacts,
  LanAddress,
  LinkFacts,
  SubnetFacts,
} from '../model/types.ts';
import { vpcOverlaps } from '../model/vpc-overlap.ts';
import type { Ec2 } from '../ports/ec2.ts';
import type { JoinParams } from '../ports/joiner.ts';
import type { Deps } from './deps.ts';
import {
  discoverEnis,
  discoverInstance,
  discoverPlacement,
  discoverVpcCidrs,
  ownedEnis,
} from './discover.ts';
import { applyFences, dhcpClientsAvailable, heldDhcpClaim, type LniIdentity } from './fence.ts';
import { hostPlanInput } from './host-plan.ts';
import { preflightPlan } from './preflight-plan.ts';
import { ensureSnat } from './snat.ts';

export interface UpOptions {
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface UpResult {
  instanceId: string;
  eniId?: string;
  lniName?: string;
  address?: LanAddress;
  ec2Steps: Ec2Step[];
  hostSteps: HostStep[];
  /** Pod SNAT (dry-run only: what it would change). */
  snatSteps?: SnatStep[];
  joined: boolean;
  dryRun: boolean;
}

function checkpoint(signal: AbortSignal | undefined, next: string): void {
  if (signal?.aborted) throw new InterruptedError(`stopped by signal before ${next}`);
}

async function timed<T>(
  deps: Deps,
  what: string,
  fields: Record<string, unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  const started = deps.clock.now();
  const result = await fn();
  deps.log.info({ step: what, ...fields, ms: deps.clock.now() - started }, what);
  return result;
}

export async function up(config: AgentConfig, deps: Deps, opts: UpOptions): Promise<UpResult> {
  const release = opts.dryRun
    ? async () => {}
    : await acquireLock(config.paths.lockFile, config.paths.lockWaitSeconds, deps.clock);
  const started = deps.clock.now();
  let state: AgentState | undefined;
  try {
    state = await deps.state.load();
    const result = await converge(config, deps, opts, state);
    return result;
  } catch (err) {
    if (!opts.dryRun) await recordFailure(deps, state, started, err).catch(() => {});
    throw err;
  } finally {
    await release();
  }
}

async function recordFailure(deps: Deps, state: AgentState | undefined, started: number, err: unknown) {
  const latest = (await deps.state.load()) ?? state;
  if (!latest) return;
  latest.lastUp = {
    at: new Date(deps.clock.now()).toISOString(),
    ok: false,
    durationMs: deps.clock.now() - started,
    message: (err as Error).message,
  };
  await deps.state.save(latest);
}

async function converge(
  config: AgentConfig,
  deps: Deps,
  opts: UpOptions,
  loaded: AgentState | undefined,
): Promise<UpResult> {
  const { log, clock } = deps;
  const started = clock.now();
  const inst = await timed(deps, 'discover-instance', {}, () => discoverInstance(deps.imds));
  if (loaded && loaded.instanceId !== inst.instanceId)
    throw new ConfigError([
      { key: 'paths.stateFile', message: `belongs to instance ${loaded.instanceId}, not ${inst.instanceId}` },
    ]);
  const state = loaded ?? emptyState(inst.instanceId, new Date(clock.now()).toISOString());
  state.region = inst.region;
  const save = async () => {
    if (opts.dryRun) return;
    state.updatedAt = new Date(clock.now()).toISOString();
    await deps.state.save(state);
  };

  const ec2 = deps.ec2(inst.region);
  // The owned-ENI query needs only the instance id: it runs beside the subnet checks (one EC2 round trip, which
  // through an Outposts service link is tens of ms or more, instead of two). A refusal wastes one read.
  const owned = ownedEnis(inst, ec2);
  owned.catch(() => {}); // awaited below; a refusal above must not leave it unhandled
  const [placement, { distro }, vpcCidrs] = await Promise.all([
    timed(deps, 'discover-placement', {}, () => discoverPlacement(config, inst, ec2)),
    detectDistro(deps.files),
    discoverVpcCidrs(deps.imds, inst.primaryMac),
  ]);
  // A LAN-side range inside the VPC would send VPC traffic to the LAN gateway: refused before anything changes.
  const overlaps = vpcOverlaps(
    [
      { key: 'routes.onPrem', cidrs: config.routes.onPrem },
      { key: 'snat.destinations', cidrs: config.snat.destinations ?? [] },
    ],
    [...new Set([...(vpcCidrs ?? []), placement.instanceSubnet.cidrBlock])],
  );
  if (overlaps.length) throw new ConfigError(overlaps, 'configuration overlaps the VPC');
  const method = config.join.mode === 'none' ? undefined : joinMethod(config.join.mode, distro);
  if (config.join.mode !== 'none' && !method)
    throw new ConfigError([
      {
        key: 'join.mode',
        message: `cannot pick a join method on distro '${distro}'; set bootstrap-sh, nodeadm or none`,
        value: 'auto',
      },
    ]);

  const enis = await discoverEnis(inst, placement.deviceIndex, ec2, owned);
  let decision: ReturnType<typeof planLni>;
  try {
    decision = planLni({
      instance: inst,
      subnet: placement.lniSubnet,
      deviceIndex: placement.deviceIndex,
      cluster: config.cluster.name,
      enis,
      state,
      now: new Date(clock.now()).toISOString(),
    });
  } catch (err) {
    if (err instanceof LniConflict) throw new PreflightError(err.message);
    throw err;
  }
  log.info(
    {
      source: decision.source,
      eni: decision.eni?.networkInterfaceId,
      steps: decision.steps.map((s) => s.kind),
    },
    'LNI plan',
  );

  // Placement and the LNI subnet were checked by discovery; here, whether the role may make the planned calls.
  if (config.preflight.enabled && decision.steps.length)
    await preflightPlan(log, deps.ec2(inst.region, 'checks'), inst.instanceId, decision.steps);

  if (opts.dryRun) {
    for (const s of decision.steps) log.info({ step: s }, `would ${s.kind}`);
    return dryRunHost(
      config,
      deps,
      inst,
      placement.instanceSubnet,
      vpcCidrs,
      state,
      decision.eni,
      decision.steps,
    );
  }

  // The fence: by MAC as soon as the ENI exists, before it is attached, so no network manager ever sees it bare.
  const lniName = config.lni.name === 'kernel' ? undefined : config.lni.name;
  const identity = (mac: string, kernelNames: string[]): LniIdentity => {
    const name = lniName ?? kernelNames.at(-1);
    return {
      mac,
      instanceId: inst.instanceId,
      name: lniName,
      kernelNames,
      vlanName: config.lni.vlan && name ? `${name}.${config.lni.vlan}` : undefined,
      // A lease a network manager already holds for the LNI stays claimed (a converged re-run changes nothing).
      dhcp: heldDhcpClaim(config, state),
    };
  };
  const seen = state.fences?.kernelNames ?? [];
  const eni = await applyEc2({
    deps,
    ec2,
    inst,
    deviceIndex: placement.deviceIndex,
    decision,
    state,
    save,
    signal: opts.signal,
    attachTimeoutSeconds: config.lni.attachTimeoutSeconds,
    beforeAttach: async (mac) => {
      // AL2's hot-plug handler reads ifcfg-<kernel name>: fence the name the kernel will give it.
      const predicted =
        distro === 'al2' ? [predictKernelName((await deps.hostNet.links()).map((l) => l.name))] : [];
      await timed(deps, 'fence', { mac, predicted }, () =>
        applyFences(deps, distro, identity(mac, [...new Set([...seen, ...predicted])]), state, save, seen),
      );
    },
  });
  checkpoint(opts.signal, 'host configuration');

  // Host: find the LNI by MAC, complete the fence with its kernel name (and undo any claim made on it), name it,
  // then sysctls/link, address, routes and rule.
  const [found, links] = await waitForLink(deps, eni.macAddress, config.lni.attachTimeoutSeconds);
  const kernelNames = [...new Set([...seen, found.name])].filter((n) => n !== lniName);
  await applyFences(deps, distro, identity(eni.macAddress, kernelNames), state, save, kernelNames);
  const link = await ensureLniName(deps, config, found, links);

  const base = (address: LanAddress) => desiredHost(hostPlanInput(config, link.name, address));
  const observe = (d: DesiredHost) =>
    deps.hostNet.observe({
      ifnames: [d.lniName, d.ifname],
      table: d.table,
      sysctlKeys: Object.keys(d.sysctls),
    });

  // Prelude: sysctls before the link comes up, so the LNI never answers ARP for the VPC address.
  const placeholder = base({ address: '0.0.0.0', prefixLength: 32, source: 'static' });
  const before = await observe(placeholder);
  const sysctlsBefore =
    state.host?.sysctlsBefore ??
    Object.fromEntries(
      Object.keys(placeholder.sysctls)
        .map((k) => [k, before.sysctls[k] ?? ''])
        .filter(([, v]) => v !== ''),
    );
  const prelude = diffHost(before, placeholder).filter((s) =>
    ['sysctl', 'link-up', 'link-mtu', 'vlan-add'].includes(s.kind),
  );
  if (prelude.length)
    await timed(deps, 'host-prelude', { steps: prelude.length }, () => deps.hostNet.apply(prelude));
  checkpoint(opts.signal, 'addressing');

  const address = await acquireAddress(config, deps, placeholder.ifname, state, {
    distro,
    claim: (dhcp) =>
      applyFences(
        deps,
        distro,
        { ...identity(eni.macAddress, kernelNames), dhcp },
        state,
        save,
        kernelNames,
      ).then(() => undefined),
  });
  const desired = base(address);
  // Nothing changed since `before` unless the prelude ran or a DHCP client just added its lease.
  const observed = prelude.length || address.source === 'dhcp' ? await observe(desired) : before;
  const steps = diffHost(observed, desired);
  if (steps.length)
    await timed(deps, 'host-apply', { steps: steps.map((s) => s.kind) }, () => deps.hostNet.apply(steps));
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
  await save();
  const snat = await ensureSnat(config, deps, {
    host: desired,
    vpcCidrs,
    subnetCidr: placement.instanceSubnet.cidrBlock,
    recorded: state.snat,
  });
  state.snat = snat.record;
  await save();
  checkpoint(opts.signal, 'join');

  let joined = false;
  if (method && config.cluster.name) {
    const params: JoinParams = {
      method,
      clusterName: config.cluster.name,
      apiServerEndpoint: config.cluster.apiServerEndpoint,
      certificateAuthority: config.cluster.certificateAuthority,
      serviceCidr: config.cluster.serviceCidr,
      nodeIp: inst.primaryIp,
      labels: {
        ...config.join.nodeLabels,
        ...lniLabels({
          lniAddress: address.address,
          lniInterface: desired.ifname,
          outpostArn: inst.outpostArn,
        }),
      },
      kubeletExtraArgs: config.join.kubeletExtraArgs,
    };
    if (
      method === 'bootstrap-sh' &&
      params.apiServerEndpoint &&
      params.certificateAuthority &&
      !params.serviceCidr
    )
      log.warn(
        { key: 'cluster.serviceCidr' },
        'join: cluster.serviceCidr is not set, so bootstrap.sh guesses cluster DNS (10.100.0.10, or 172.20.0.10 in a 10.x VPC); set it unless the cluster uses the default service CIDR',
      );
    const joiner = new EksJoiner(deps.runner, deps.files, config.paths.hostRoot, state.join);
    if (!(await joiner.alreadyJoined(params))) {
      params.maxPods = await resolveMaxPods(config, ec2, inst, eni);
      const outcome = await timed(deps, 'join', { method, maxPods: params.maxPods }, () =>
        joiner.join(params),
      );
      if (outcome.pendingUntil === 'nodeadm-run')
        log.info(
          { path: NODECONFIG_PATH },
          'join: wrote the nodeadm drop-in; the AMI’s nodeadm-run.service merges it with the user data NodeConfig after cloud-final and starts kubelet',
        );
      if (outcome.pendingUntil === 'next-boot')
        log.warn(
          { path: NODECONFIG_PATH },
          'join: nodeadm-run.service already ran this boot; the changed drop-in (node IP, LNI labels, max-pods) applies at the next boot',
        );
      state.join = {
        method,
        nodeIp: params.nodeIp,
        labels: params.labels,
        at: new Date(clock.now()).toISOString(),
      };
      joined = true;
    }
  }
  state.lastUp = { at: new Date(clock.now()).toISOString(), ok: true, durationMs: clock.now() - started };
  await save();
  log.info(
    {
      eni: eni.networkInterfaceId,
      lni: desired.ifname,
      address: `${address.address}/${address.prefixLength}`,
      ms: clock.now() - started,
    },
    'up: converged',
  );
  return {
    instanceId: inst.instanceId,
    eniId: eni.networkInterfaceId,
    lniName: desired.ifname,
    address,
    ec2Steps: decision.steps,
    hostSteps: [...prelude, ...steps],
    joined,
    dryRun: false,
  };
}

interface ApplyEc2 {
  deps: Deps;
  ec2: Ec2;
  inst: InstanceFacts;
  deviceIndex: number;
  decision: ReturnType<typeof planLni>;
  state: AgentState;
  save: () => Promise<void>;
  signal: AbortSignal | undefined;
  attachTimeoutSeconds: number;
  /** Runs once the ENI exists, before it is attached (the fence by MAC). */
  beforeAttach: (mac: string) => Promise<void>;
}

async function applyEc2({
  deps,
  ec2,
  inst,
  deviceIndex,
  decision,
  state,
  save,
  signal,
  attachTimeoutSeconds,
  beforeAttach,
}: ApplyEc2): Promise<EniFacts> {
  let eni = decision.eni;
  let attachmentId = eni?.attachment?.attachmentId;
  const record = () => {
    if (!eni) return;
    state.eni = {
      id: eni.networkInterfaceId,
      mac: eni.macAddress,
      subnetId: eni.subnetId,
      deviceIndex,
      attachmentId,
      createdByAgent: decision.createdByAgent,
    };
  };
  record();
  for (const step of decision.steps) {
    checkpoint(signal, step.kind);
    const known = () => {
      if (!eni) throw new Ec2Error(`internal: ${step.kind} before the ENI exists`);
      return eni;
    };
    const id = () => known().networkInterfaceId;
    await timed(deps, step.kind, { eni: eni?.networkInterfaceId }, async () => {
      switch (step.kind) {
        case 'create-eni':
          state.pendingCreate = {
            clientToken: step.clientToken,
            at: step.tags[TAG_CREATED_AT] ?? new Date(deps.clock.now()).toISOString(),
          };
          await save();
          eni = await ec2.createNetworkInterface({
            subnetId: step.subnetId,
            description: step.description,
            tags: step.tags,
            clientToken: step.clientToken,
          });
          state.pendingCreate = undefined;
          break;
        case 'attach-eni':
          await beforeAttach(known().macAddress);
          attachmentId = await ec2.attachNetworkInterface({
            eniId: id(),
            instanceId: inst.instanceId,
            deviceIndex: step.deviceIndex,
          });
          break;
        case 'wait-attached':
          eni = await ec2.waitForAttached({ eniId: id(), timeoutSeconds: attachTimeoutSeconds });
          attachmentId = eni.attachment?.attachmentId ?? attachmentId;
          break;
        case 'set-delete-on-termination': {
          if (!attachmentId) throw new Ec2Error(`no attachment id for ${id()}`);
          await ec2.setDeleteOnTermination({ eniId: id(), attachmentId, value: true });
          break;
        }
        case 'create-tags':
          await ec2.createTags({ resourceIds: [step.eniId], tags: step.tags });
          break;
        case 'delete-eni':
          await ec2.deleteNetworkInterface({ eniId: step.eniId });
          break;
      }
    });
    record();
    await save();
  }
  if (!eni) throw new Ec2Error('no LNI after applying the plan');
  return eni;
}

/** kubelet max-pods: the CNI's own formula with the LNI (and any other no_manage ENI) taken out. */
async function resolveMaxPods(
  config: AgentConfig,
  ec2: Ec2,
  inst: InstanceFacts,
  lni: EniFacts,
): Promise<number | undefined> {
  const setting = config.join.maxPods;
  if (setting !== 'auto') return setting === 'off' ? undefined : setting;
  const [type, unmanaged] = await Promise.all([
    ec2.describeInstanceType(inst.instanceType),
    ec2.describeNetworkInterfaces({
      filters: { 'attachment.instance-id': [inst.instanceId], [`tag:${TAG_NO_MANAGE}`]: ['true'] },
    }),
  ]);
  const reserved = new Set([lni.networkInterfaceId, ...unmanaged.map((e) => e.networkInterfaceId)]).size;
  return maxPods({ type, reservedEnis: reserved, prefixDelegation: config.join.prefixDelegation });
}

/** One LNI name fleet-wide: rename the link found by MAC (it must be down to be renamed). */
async function ensureLniName(
  deps: Deps,
  config: AgentConfig,
  link: LinkFacts,
  links: LinkFacts[],
): Promise<LinkFacts> {
  const want = config.lni.name;
  if (want === 'kernel' || link.name === want) return link;
  const clash = links.find((l) => l.name === want && l.mac !== link.mac);
  if (clash)
    throw new HostNetworkError(
      `lni.name ${want} is already the name of another interface (MAC ${clash.mac}); nothing renamed`,
    );
  const steps: HostStep[] = [
    ...(link.up ? [{ kind: 'link-down' as const, ifname: link.name }] : []),
    { kind: 'link-rename', ifname: link.name, newName: want },
  ];
  await timed(deps, 'rename', { from: link.name, to: want }, () => deps.hostNet.apply(steps));
  return { ...link, name: want, up: false };
}

/** The LNI's link once the kernel shows it, and every link seen with it. */
async function waitForLink(
  deps: Deps,
  mac: string,
  timeoutSeconds: number,
): Promise<[LinkFacts, LinkFacts[]]> {
  const deadline = deps.clock.now() + timeoutSeconds * 1000;
  for (;;) {
    const links = await deps.hostNet.links();
    const link = links.find((l) => l.mac === mac.toLowerCase() && !l.kind?.includes('vlan'));
    if (link) return [link, links];
    if (deps.clock.now() > deadline)
      throw new HostNetworkError(`no interface with the LNI's MAC ${mac} appeared within ${timeoutSeconds}s`);
    await deps.clock.sleep(100);
  }
}

async function acquireAddress(
  config: AgentConfig,
  deps: Deps,
  ifname: string,
  state: AgentState,
  ctx: { distro: Distro; claim: (dhcp?: DhcpClaim) => Promise<void> },
): Promise<LanAddress> {
  const a = config.addressing;
  if (a.mode === 'static') {
    const { address, prefixLength } = parseCidr(a.address);
    return { address, prefixLength, gateway: a.gateway, source: 'static' };
  }
  if (a.mode === 'dhcp') {
    const choice = pickDhcpClient(a.client, ctx.distro, await dhcpClientsAvailable(deps));
    if ('problem' in choice) throw new HostNetworkError(`${choice.problem}; ${choice.hint}`);
    deps.log.info({ client: choice.client, why: choice.why }, 'dhcp: client');
    const managed = choice.client === 'dhclient' ? undefined : choice.client;
    // A network manager's lease: the agent's file for the LNI now asks it for one (the link's sysctls are set).
    if (managed) await ctx.claim({ client: managed, mtu: config.lni.mtu, timeoutSeconds: a.timeoutSeconds });
    const lease = await timed(deps, 'dhcp-lease', { ifname, client: choice.client }, () =>
      deps.dhcp(choice.client).lease({ ifname, timeoutSeconds: a.timeoutSeconds }),
    ).catch(async (err: unknown) => {
      // Nothing half-configured: the manager is told to let go of the LNI again.
      if (managed) await ctx.claim(undefined);
      throw err;
    });
    state.dhcp = { ifname, pidFile: lease.pidFile, client: choice.client };
    return {
      address: lease.address,
      prefixLength: lease.prefixLength,
      gateway: lease.gateway,
      source: 'dhcp',
      ...(managed ? { managedBy: managed } : {}),
    };
  }
  // pool: keep the address this node already claimed, else probe candidates (RFC 5227) and claim the first free one.
  const previous = state.host?.address;
  const observed = await deps.hostNet.observe({
    ifnames: [ifname],
    table: config.routes.table,
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

async function dryRunHost(
  config: AgentConfig,
  deps: Deps,
  inst: InstanceFacts,
  instanceSubnet: SubnetFacts,
  vpcCidrs: string[] | undefined,
  state: AgentState,
  eni: EniFacts | undefined,
  ec2Steps: Ec2Step[],
): Promise<UpResult> {
  const result: UpResult = {
    instanceId: inst.instanceId,
    eniId: eni?.networkInterfaceId,
    ec2Steps,
    hostSteps: [],
    joined: false,
    dryRun: true,
  };
  const link = eni && (await deps.hostNet.links()).find((l) => l.mac === eni.macAddress);
  if (!link || config.addressing.mode !== 'static') {
    deps.log.info(
      { addressing: config.addressing.mode },
      'would configure the LNI on the host once it is attached and addressed',
    );
    return result;
  }
  const { address, prefixLength } = parseCidr(config.addressing.address);
  const d = desiredHost(
    hostPlanInput(config, link.name, {
      address,
      prefixLength,
      gateway: config.addressing.gateway,
      source: 'static',
    }),
  );
  result.hostSteps = diffHost(
    await deps.hostNet.observe({
      ifnames: [d.lniName, d.ifname],
      table: d.table,
      sysctlKeys: Object.keys(d.sysctls),
    }),
    d,
  );
  for (const s of result.hostSteps) deps.log.info({ step: s }, `would ${s.kind}`);
  const { steps: snatSteps } = await ensureSnat(
    config,
    deps,
    {
      host: d,
      vpcCidrs,
      subnetCidr: instanceSubnet.cidrBlock,
      recorded: state.snat,
    },
    true,
  );
  return { ...result, snatSteps, lniName: d.ifname };
}
