// What the checks look at: each fact fetched once, on first use, within its own time bound; checks and their runner types.
import type { ConfigProblem } from '../../config/loader.ts';
import type { AgentConfig } from '../../config/schema.ts';
import { type CheckGroup, type CheckOutcome, skip } from '../../model/checks.ts';
import {
  environmentAssignments,
  KUBELET_FLAG_SOURCES,
  type KubeletSettings,
  kubeletSettings,
  splitArgs,
} from '../../model/kubelet-flags.ts';
import { desiredHost } from '../../model/plan-host.ts';
import type { AgentState } from '../../model/state.ts';
import type {
  DesiredHost,
  EniFacts,
  HostFacts,
  ImageFacts,
  InstanceFacts,
  LanAddress,
  LinkFacts,
  SubnetFacts,
} from '../../model/types.ts';
import type { Ec2 } from '../../ports/ec2.ts';
import type { ImdsProbe } from '../../ports/imds.ts';
import type { Deps } from '../deps.ts';
import { discoverEnis, discoverInstance, discoverPlacement, type Placement } from '../discover.ts';
import { hostPlanInput, observeFor } from '../host-plan.ts';

/** Time bounds (ms). A check's bound is the sum along the facts it waits for; the whole run has `total`. */
export const BOUNDS = { imds: 2500, ec2: 3000, host: 2000, arp: 1500, files: 2000, total: 10_000 } as const;

/** Where a fact comes from: a failure's generic hint depends on it. */
export type Source = 'imds' | 'ec2' | 'host' | 'files';

export class FactError extends Error {
  constructor(
    readonly source: Source,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown by `need()`: the check is skipped, naming the fact it could not do without. */
export class SkipCheck extends Error {}

/** Rejects with a FactError when `p` has not settled within `ms`. */
export function within<T>(ms: number, source: Source, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Fire after the I/O already due: when the event loop was busy past `ms`, an answer that arrived in time wins.
    timer = setTimeout(
      () => setImmediate(() => reject(new FactError(source, `${what}: no answer within ${ms} ms`))),
      ms,
    );
  });
  return Promise.race([p, timeout])
    .catch((err: unknown) => {
      if (err instanceof FactError || err instanceof SkipCheck) throw err;
      throw new FactError(source, `${what}: ${(err as Error).message}`, { cause: err });
    })
    .finally(() => clearTimeout(timer));
}

export interface CheckDef {
  id: string;
  group: CheckGroup;
  title: string;
  /** The check's own bound: its facts' bounds along the longest chain it waits for. */
  timeoutMs: number;
  run(ctx: DiagnoseContext): Promise<CheckOutcome>;
}

/** diagnose's effects: the agent's Deps (its checks client, a view of the host's processes for kubelet). */
export type DiagnoseDeps = Deps;

export interface KubeletView {
  pid?: number;
  settings?: KubeletSettings;
  /** Where the flags were read: kubelet's command line or the files the AMI's join wrote. */
  source?: string;
}

export class DiagnoseContext {
  private readonly memo = new Map<string, Promise<unknown>>();
  private ec2Client?: Ec2;

  constructor(
    readonly config: AgentConfig,
    readonly deps: DiagnoseDeps,
    /** What is wrong with the config as given (each bad key fell back to its default in `config`). */
    readonly configProblems: readonly ConfigProblem[] = [],
  ) {}

  /** Fetched once. A fact's own I/O is bounded where it starts, after the facts it needs have arrived. */
  private fact<T>(name: string, load: () => Promise<T>): Promise<T> {
    let p = this.memo.get(name) as Promise<T> | undefined;
    if (!p) {
      p = load();
      p.catch(() => {}); // awaited by the checks; a failure is reported there
      this.memo.set(name, p);
    }
    return p;
  }

  /** A fact the check cannot do without: its failure skips the check instead of failing it. */
  async need<T>(p: Promise<T>, what: string): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof SkipCheck) throw err;
      throw new SkipCheck(`needs ${what}: ${(err as Error).message}`);
    }
  }

  imdsProbe(): Promise<ImdsProbe> {
    return this.fact('imds-probe', () => within(BOUNDS.imds, 'imds', 'IMDS probe', this.deps.imds.probe()));
  }

  instance(): Promise<InstanceFacts> {
    return this.fact('instance', () =>
      within(BOUNDS.imds, 'imds', 'IMDS instance identity', discoverInstance(this.deps.imds)),
    );
  }

  state(): Promise<AgentState | undefined> {
    return this.fact('state', () => within(BOUNDS.files, 'files', 'state file', this.deps.state.load()));
  }

  /** One EC2 client for every check (a client per call would cost each its own set-up). */
  async ec2(): Promise<Ec2> {
    const { region } = await this.need(this.instance(), 'the region (IMDS)');
    this.ec2Client ??= this.deps.ec2(region);
    return this.ec2Client;
  }

  instanceSubnet(): Promise<SubnetFacts | undefined> {
    return this.fact('instance-subnet', async () => {
      const inst = await this.need(this.instance(), 'the instance identity (IMDS)');
      const ec2 = await this.ec2();
      const subnets = ec2.describeSubnets({ subnetIds: [inst.primarySubnetId] });
      return (await within(BOUNDS.ec2, 'ec2', 'EC2 DescribeSubnets', subnets))[0];
    });
  }

  /** The LNI subnet and device index, as `up` resolves them (the outpost itself is the placement check's). */
  placement(): Promise<Placement> {
    return this.fact('placement', async () => {
      const inst = await this.need(this.instance(), 'the instance identity (IMDS)');
      const relaxed = { ...this.config, preflight: { ...this.config.preflight, requireOutpost: false } };
      const ec2 = await this.ec2();
      return within(
        BOUNDS.ec2,
        'ec2',
        'LNI subnet (EC2 DescribeSubnets)',
        discoverPlacement(relaxed, inst, ec2),
      );
    });
  }

  image(): Promise<ImageFacts | { imageId: string; missing: true }> {
    return this.fact('image', async () => {
      const amiId = within(BOUNDS.imds, 'imds', 'IMDS ami-id', this.deps.imds.get('meta-data/ami-id'));
      const imageId = (await this.need(amiId, 'the AMI id (IMDS)'))?.trim();
      if (!imageId) throw new SkipCheck('IMDS shows no ami-id');
      const ec2 = await this.ec2();
      const images = within(BOUNDS.ec2, 'ec2', 'EC2 DescribeImages', ec2.describeImages({ ids: [imageId] }));
      const [image] = await images.catch((err: unknown) => {
        // A deregistered AMI is gone from DescribeImages, while instances launched from it run on.
        if (/InvalidAMIID/.test((err as Error).message)) return [];
        throw err;
      });
      return image ?? { imageId, missing: true as const };
    });
  }

  /** The ENI attached at the LNI device index (undefined: none), as EC2 sees it. */
  lni(): Promise<EniFacts | undefined> {
    return this.fact('lni', async () => {
      const inst = await this.need(this.instance(), 'the instance identity (IMDS)');
      const { deviceIndex } = await this.need(this.placement(), 'the LNI subnet');
      const ec2 = await this.ec2();
      const enis = await within(
        BOUNDS.ec2,
        'ec2',
        'EC2 DescribeNetworkInterfaces',
        discoverEnis(inst, deviceIndex, ec2),
      );
      return enis.find(
        (e) => e.attachment?.instanceId === inst.instanceId && e.attachment.deviceIndex === deviceIndex,
      );
    });
  }

  /**
   * The LNI's MAC without EC2 (the service link may be down while the LAN works): the IMDS interface at the
   * device index from config or the state file, else the subnet's; with IMDS down, what the state file recorded.
   */
  lniSlot(): Promise<{ mac: string; eniId: string; deviceIndex: number; privateIps: string[] }> {
    return this.fact('lni-slot', async () => {
      const state = await this.state().catch(() => undefined);
      const inst = await this.instance().catch((err: unknown) => {
        if (state?.eni) return undefined;
        throw err;
      });
      if (!inst && state?.eni)
        return {
          mac: state.eni.mac,
          eniId: state.eni.id,
          deviceIndex: state.eni.deviceIndex,
          privateIps: [],
        };
      const deviceIndex =
        this.config.lni.deviceIndex ??
        state?.eni?.deviceIndex ??
        (await this.need(this.placement(), 'the LNI device index')).deviceIndex;
      const iface = inst?.interfaces.find((i) => i.deviceNumber === deviceIndex);
      if (!iface) throw new SkipCheck(`no interface is attached at device index ${deviceIndex} (IMDS)`);
      return { mac: iface.mac, eniId: iface.interfaceId, deviceIndex, privateIps: iface.localIpv4s };
    });
  }

  links(): Promise<LinkFacts[]> {
    return this.fact('links', () => within(BOUNDS.host, 'host', 'ip link', this.deps.hostNet.links()));
  }

  async lniLink(): Promise<LinkFacts> {
    const { mac } = await this.need(this.lniSlot(), 'the LNI');
    const link = (await this.links()).find((l) => l.mac === mac && !l.kind?.includes('vlan'));
    if (!link) throw new SkipCheck(`no interface on the host has the LNI's MAC ${mac}`);
    return link;
  }

  /** The LAN address the LNI should have: the configured static one, else the one `up` recorded. */
  async expectedAddress(): Promise<LanAddress> {
    const a = this.config.addressing;
    if (a.mode === 'static') {
      const [address = '', prefix = '32'] = a.address.split('/');
      return { address, prefixLength: Number(prefix), gateway: a.gateway, source: 'static' };
    }
    const recorded = (await this.need(this.state(), 'the state file'))?.host?.address;
    if (!recorded) throw new SkipCheck(`no ${a.mode} address recorded yet (up has not configured the LNI)`);
    return recorded;
  }

  desired(): Promise<DesiredHost> {
    return this.fact('desired', async () => {
      const link = await this.need(this.lniLink(), 'the LNI interface');
      const address = await this.expectedAddress();
      return desiredHost(hostPlanInput(this.config, link.name, address));
    });
  }

  observed(): Promise<HostFacts> {
    return this.fact('observed', async () => {
      const d = await this.need(this.desired(), 'the LNI configuration');
      const observing = observeFor(this.deps.hostNet, d);
      return within(BOUNDS.host, 'host', 'ip -json observe', observing);
    });
  }

  /** kubelet's pid and flags: from its command line when it runs, else from the files the AMI's join wrote. */
  kubelet(): Promise<KubeletView> {
    return this.fact('kubelet', () => within(BOUNDS.files, 'files', 'kubelet', this.readKubelet()));
  }

  private async readKubelet(): Promise<KubeletView> {
    const [proc] = await this.deps.processes.byName('kubelet');
    if (proc)
      return {
        pid: proc.pid,
        settings: kubeletSettings(proc.argv),
        source: `kubelet pid ${proc.pid} command line`,
      };
    const argv: string[] = [];
    const found: string[] = [];
    for (const src of KUBELET_FLAG_SOURCES) {
      const text = await this.deps.files.read(src.path);
      const value = text === undefined ? undefined : environmentAssignments(text)[src.variable];
      if (value === undefined) continue;
      found.push(src.path);
      argv.push(...splitArgs(value));
    }
    return found.length ? { settings: kubeletSettings(argv), source: found.join(', ') } : {};
  }

  skipNoLni(): CheckOutcome {
    return skip('no LNI is attached (see lni.attached)');
  }

  /** Main-table routes (the default route), independent of the LNI. */
  mainRoutes(): Promise<HostFacts> {
    return this.fact('main-routes', () =>
      within(
        BOUNDS.host,
        'host',
        'ip route (main)',
        this.deps.hostNet.observe({ ifnames: [], table: this.config.routes.table, sysctlKeys: [] }),
      ),
    );
  }

  /** The lock file's holder and whether it still runs. */
  async lock(): Promise<{ pid?: number; alive: boolean }> {
    const holder = await this.deps.locks.holder(this.config.paths.lockFile).catch(() => undefined);
    return { pid: holder?.pid, alive: holder?.alive ?? false };
  }
}
