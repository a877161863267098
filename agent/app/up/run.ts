// One `up` run: the config, the effects, and the facts each phase adds for the next (nodeadm init's context, in small).
import type { AgentConfig } from '../../config/schema.ts';
import { InterruptedError } from '../../errors.ts';
import type { LniIdentity } from '../../model/fences.ts';
import type { LniDecision } from '../../model/plan-lni.ts';
import type { AgentState } from '../../model/state.ts';
import type {
  DesiredHost,
  Distro,
  EniFacts,
  HostStep,
  InstanceFacts,
  LanAddress,
  LinkFacts,
} from '../../model/types.ts';
import type { Ec2 } from '../../ports/ec2.ts';
import type { Deps } from '../deps.ts';
import type { Placement } from '../discover.ts';
import { heldDhcpClaim } from '../fence.ts';
import type { UpOptions, UpResult } from './types.ts';

/** What the phases find and decide, in the order they add it. */
export interface UpFacts {
  state: AgentState;
  inst: InstanceFacts;
  ec2: Ec2;
  placement: Placement;
  distro: Distro;
  vpcCidrs: string[] | undefined;
  joinMethod: 'bootstrap-sh' | 'nodeadm' | undefined;
  enis: EniFacts[];
  decision: LniDecision;
  eni: EniFacts;
  kernelNames: string[];
  link: LinkFacts;
  desired: DesiredHost;
  address: LanAddress;
  hostSteps: HostStep[];
  joined: boolean;
  /** Set by a phase that ends the run early (dry-run). */
  result: UpResult;
}

export class UpRun {
  private readonly facts: Partial<UpFacts> = {};
  readonly startedAt: number;

  constructor(
    readonly config: AgentConfig,
    readonly deps: Deps,
    readonly opts: UpOptions,
  ) {
    this.startedAt = deps.clock.now();
  }

  set<K extends keyof UpFacts>(key: K, value: UpFacts[K]): void {
    this.facts[key] = value;
  }

  has(key: keyof UpFacts): boolean {
    return this.facts[key] !== undefined;
  }

  /** A fact an earlier phase added; asking before it is there is the agent's own bug. */
  need<K extends keyof UpFacts>(key: K): UpFacts[K] {
    if (!(key in this.facts)) throw new Error(`internal: up needs ${key} before a phase provided it`);
    return this.facts[key] as UpFacts[K];
  }

  /** Writes the state file (never in a dry run). */
  async save(): Promise<void> {
    if (this.opts.dryRun) return;
    const state = this.need('state');
    state.updatedAt = new Date(this.deps.clock.now()).toISOString();
    await this.deps.state.save(state);
  }

  /** The stop signal is honoured between steps, never in the middle of one. */
  checkpoint(next: string): void {
    if (this.opts.signal?.aborted) throw new InterruptedError(`stopped by signal before ${next}`);
  }

  /** Runs `fn`, logs it as one named step with its duration. */
  async timed<T>(what: string, fields: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    const started = this.deps.clock.now();
    const result = await fn();
    this.deps.log.info({ step: what, ...fields, ms: this.deps.clock.now() - started }, what);
    return result;
  }

  /** The LNI as the fences see it: by MAC, with the names it has or will have. */
  identity(mac: string, kernelNames: string[]): LniIdentity {
    const { config } = this;
    const lniName = this.lniName();
    const name = lniName ?? kernelNames.at(-1);
    return {
      mac,
      instanceId: this.need('inst').instanceId,
      name: lniName,
      kernelNames,
      vlanName: config.lni.vlan && name ? `${name}.${config.lni.vlan}` : undefined,
      // A lease a network manager already holds for the LNI stays claimed (a converged re-run changes nothing).
      dhcp: heldDhcpClaim(config, this.need('state')),
    };
  }

  /** lni.name, or undefined when the LNI keeps the kernel's name. */
  lniName(): string | undefined {
    return this.config.lni.name === 'kernel' ? undefined : this.config.lni.name;
  }
}
