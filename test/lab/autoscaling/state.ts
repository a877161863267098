// In-memory Auto Scaling of the lab: groups over the EC2 state's instances, lifecycle hooks, and scale-in with hook timeouts.
import { createHash, randomUUID } from 'node:crypto';
import { decodePageToken, encodePageToken } from '../ec2/paginate.ts';
import type { Ec2State } from '../ec2/state.ts';
import { autoScalingErrors } from './errors.ts';

export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';
export const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
/** The tag Auto Scaling puts on every instance of a group (users cannot set `aws:` tags). */
export const GROUP_NAME_TAG = 'aws:autoscaling:groupName';
/** DescribeAutoScalingInstances: default and maximum MaxRecords. */
const MAX_RECORDS = 50;
/** AWS: an instance waits at most 48 hours or 100 × HeartbeatTimeout, whichever is smaller. */
const GLOBAL_TIMEOUT_CAP_SECONDS = 172_800;

export type LifecycleResult = 'CONTINUE' | 'ABANDON';
export type LifecycleTransition = typeof TERMINATING | typeof LAUNCHING;

export interface LabLifecycleHookSpec {
  name: string;
  transition?: LifecycleTransition;
  /**
   * Seconds before the action times out without a heartbeat (AWS: 30-7200, default 3600). The lab takes any
   * positive value, so tests can wait seconds instead of minutes.
   */
  heartbeatTimeout?: number;
  /** What happens at the timeout (AWS's default: ABANDON). */
  defaultResult?: LifecycleResult;
}

export interface LabAutoScalingGroupSpec {
  name: string;
  /** Members (default: every instance of the EC2 state). */
  instanceIds?: string[];
  hooks?: LabLifecycleHookSpec[];
}

export interface AutoScalingFixture {
  groups: LabAutoScalingGroupSpec[];
}

export interface LabLifecycleHook {
  name: string;
  group: string;
  transition: LifecycleTransition;
  heartbeatTimeout: number;
  globalTimeout: number;
  defaultResult: LifecycleResult;
}

export type LabLifecycleState =
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated';

export interface LabAutoScalingInstance {
  instanceId: string;
  group: string;
  lifecycleState: LabLifecycleState;
}

/** One lifecycle action: an instance waiting on one hook, until completed or timed out. */
export interface LabLifecycleAction {
  token: string;
  instanceId: string;
  group: string;
  hook: string;
  transition: LifecycleTransition;
  startedAt: number;
  /** When it times out unless a heartbeat or a completion comes first (epoch ms). */
  deadline: number;
  globalDeadline: number;
  /** Epoch ms of each accepted RecordLifecycleActionHeartbeat. */
  heartbeats: number[];
  result?: LifecycleResult;
  endedAt?: number;
  endedBy?: 'complete' | 'timeout';
}

export interface ScaleInOutcome {
  instanceId: string;
  result: LifecycleResult;
  /** `complete`: CompleteLifecycleAction; `timeout`: the hook's DefaultResult; `no-hook`: nothing to wait for. */
  endedBy: 'complete' | 'timeout' | 'no-hook';
  /** Epoch ms when the instance left Terminating:Wait (and EC2 termination began). */
  endedAt: number;
}

export interface ScaleIn {
  instanceId: string;
  /** Epoch ms when the instance entered Terminating:Wait and IMDS turned `Terminated`. */
  startedAt: number;
  actions: LabLifecycleAction[];
  /** Settles when the instance leaves Terminating:Wait and its EC2 termination has started. */
  done: Promise<ScaleInOutcome>;
}

export interface ActionTarget {
  group: string;
  hook: string;
  token?: string;
  instanceId?: string;
}

function resolveHook(group: string, spec: LabLifecycleHookSpec): LabLifecycleHook {
  const heartbeatTimeout = spec.heartbeatTimeout ?? 3600;
  if (!(heartbeatTimeout > 0)) throw new Error(`hook ${spec.name}: heartbeatTimeout must be positive`);
  return {
    name: spec.name,
    group,
    transition: spec.transition ?? TERMINATING,
    heartbeatTimeout,
    globalTimeout: Math.min(100 * heartbeatTimeout, GLOBAL_TIMEOUT_CAP_SECONDS),
    defaultResult: spec.defaultResult ?? 'ABANDON',
  };
}

export class AutoScalingState {
  private readonly groups = new Map<string, Map<string, LabLifecycleHook>>();
  private readonly members = new Map<string, LabAutoScalingInstance>();
  private readonly actionList: LabLifecycleAction[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly finishers = new Map<string, (outcome: ScaleInOutcome) => void>();

  constructor(
    private readonly ec2: Ec2State,
    fixture: AutoScalingFixture,
  ) {
    for (const group of fixture.groups) {
      this.groups.set(group.name, new Map());
      for (const hook of group.hooks ?? []) this.putLifecycleHook(group.name, hook);
      for (const instanceId of group.instanceIds ?? ec2.instances().map((i) => i.instanceId))
        this.addMember(group.name, instanceId);
    }
  }

  // ---- lab controls (not APIs) -------------------------------------------------------------------

  /**
   * IAM for a node's call (the node role, as for EC2): CompleteLifecycleAction and RecordLifecycleActionHeartbeat act
   * on the group (autoScalingGroup, required), the Describe calls on "*" (Service Authorization Reference for
   * Amazon EC2 Auto Scaling, iann0036/iam-dataset 08eff2d).
   */
  authorize(action: string, params: Record<string, string>, callerIp: string | undefined): void {
    const group = params.AutoScalingGroupName ?? '';
    const resource = action.startsWith('Describe') ? '*' : this.groupArn(group);
    const instance = callerIp ? this.ec2.instances().find((i) => i.privateIpAddress === callerIp) : undefined;
    const name = `autoscaling:${action}`;
    const verdict = this.ec2.iam.decide(
      [{ action: name, resources: [{ arn: resource }] }],
      instance && {
        instanceArn: `arn:aws:ec2:${this.ec2.region}:${this.ec2.accountId}:instance/${instance.instanceId}`,
        region: this.ec2.region,
      },
    );
    if (!verdict.allowed)
      throw autoScalingErrors.accessDenied(
        name,
        instance && this.ec2.iam.principal(this.ec2.accountId, instance.instanceId),
        verdict.resource,
        verdict.explicitDeny,
      );
  }

  /** arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name> (uuid from the name). */
  groupArn(group: string): string {
    const hex = createHash('sha256').update(group).digest('hex');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return `arn:aws:autoscaling:${this.ec2.region}:${this.ec2.accountId}:autoScalingGroup:${uuid}:autoScalingGroupName/${group}`;
  }

  /** Creates or replaces a hook (PutLifecycleHook's effect); the lab accepts short heartbeat timeouts. */
  putLifecycleHook(group: string, spec: LabLifecycleHookSpec): LabLifecycleHook {
    const hooks = this.requireGroup(group);
    const hook = resolveHook(group, spec);
    hooks.set(hook.name, hook);
    return hook;
  }

  /**
   * Starts a scale-in of one instance, as a lowered desired capacity would: the instance enters
   * Terminating:Wait with one lifecycle action per terminating hook, IMDS turns `Terminated`, and the EC2
   * instance is terminated once every action is completed (CONTINUE or ABANDON) or has timed out.
   */
  scaleIn(instanceId: string): ScaleIn {
    const member = this.members.get(instanceId);
    if (!member) throw new Error(`scaleIn: ${instanceId} is in no Auto Scaling group of the lab`);
    if (member.lifecycleState !== 'InService')
      throw new Error(`scaleIn: ${instanceId} is ${member.lifecycleState}, not InService`);
    const startedAt = Date.now();
    const hooks = [...this.requireGroup(member.group).values()].filter((h) => h.transition === TERMINATING);
    const done = new Promise<ScaleInOutcome>((resolve) => this.finishers.set(instanceId, resolve));
    this.ec2.setTargetLifecycleState(instanceId, 'Terminated');
    const actions = hooks.map((hook) => this.startAction(member, hook, startedAt));
    member.lifecycleState = actions.length ? 'Terminating:Wait' : 'Terminating';
    if (!actions.length) this.proceed(member, 'CONTINUE', 'no-hook');
    return { instanceId, startedAt, actions, done };
  }

  /** Every lifecycle action started so far (active and ended), oldest first. */
  actions(instanceId?: string): LabLifecycleAction[] {
    return this.actionList.filter((a) => instanceId === undefined || a.instanceId === instanceId);
  }

  /** The instance's membership; `Terminated` once its EC2 instance is. */
  member(instanceId: string): LabAutoScalingInstance | undefined {
    const member = this.members.get(instanceId);
    if (!member) return undefined;
    const gone = this.ec2.getInstance(instanceId)?.state === 'terminated';
    return { ...member, lifecycleState: gone ? 'Terminated' : member.lifecycleState };
  }

  hooks(group: string): LabLifecycleHook[] {
    return [...this.requireGroup(group).values()];
  }

  /** Cancels the hook timers; nothing times out afterwards. */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- API semantics -----------------------------------------------------------------------------

  /** Members whose EC2 instance is not terminated yet, by instance id; unknown ids are ignored (as AWS does). */
  describeAutoScalingInstances(request: { instanceIds?: string[]; maxRecords?: number; nextToken?: string }) {
    const limit = request.maxRecords ?? MAX_RECORDS;
    if (limit > MAX_RECORDS) throw autoScalingErrors.maxRecords(limit, MAX_RECORDS);
    const wanted = request.instanceIds?.length ? new Set(request.instanceIds) : undefined;
    const live = [...this.members.values()]
      .filter((m) => !wanted || wanted.has(m.instanceId))
      .filter((m) => this.ec2.getInstance(m.instanceId)?.state !== 'terminated')
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    const after =
      request.nextToken === undefined
        ? undefined
        : decodePageToken(request.nextToken, autoScalingErrors.invalidNextToken);
    const remaining = after === undefined ? live : live.filter((m) => m.instanceId > after);
    const page = remaining.slice(0, limit);
    const last = page.at(-1);
    const nextToken = remaining.length > limit && last ? encodePageToken(last.instanceId) : undefined;
    return {
      items: page.map((m) => ({ ...m, instance: this.ec2.getInstance(m.instanceId) })),
      nextToken,
    };
  }

  describeLifecycleHooks(group: string, names: readonly string[] = []): LabLifecycleHook[] {
    return this.hooks(group).filter((h) => names.length === 0 || names.includes(h.name));
  }

  /** Restarts the action's timeout (capped by its global timeout). */
  recordLifecycleActionHeartbeat(target: ActionTarget): void {
    const action = this.activeAction(target);
    const hook = this.requireHookOf(action);
    const now = Date.now();
    action.heartbeats.push(now);
    action.deadline = Math.min(now + hook.heartbeatTimeout * 1000, action.globalDeadline);
    this.armTimeout(action);
  }

  completeLifecycleAction(target: ActionTarget & { result: string }): void {
    if (target.result !== 'CONTINUE' && target.result !== 'ABANDON')
      throw autoScalingErrors.invalidResult(target.result);
    this.endAction(this.activeAction(target), target.result, 'complete');
  }

  // ---- internals -----------------------------------------------------------------------------------

  private requireGroup(group: string): Map<string, LabLifecycleHook> {
    const hooks = this.groups.get(group);
    if (!hooks) throw autoScalingErrors.groupNotFound(group);
    return hooks;
  }

  private requireHookOf(action: LabLifecycleAction): LabLifecycleHook {
    const hook = this.groups.get(action.group)?.get(action.hook);
    if (!hook) throw new Error(`lifecycle action ${action.token}: hook ${action.hook} is gone`);
    return hook;
  }

  private addMember(group: string, instanceId: string): void {
    const instance = this.ec2.getInstance(instanceId);
    if (!instance) throw new Error(`Auto Scaling fixture: no EC2 instance ${instanceId}`);
    const current = this.members.get(instanceId);
    if (current) throw new Error(`Auto Scaling fixture: ${instanceId} is already in ${current.group}`);
    this.members.set(instanceId, { instanceId, group, lifecycleState: 'InService' });
    instance.tags = [
      ...instance.tags.filter((t) => t.key !== GROUP_NAME_TAG),
      { key: GROUP_NAME_TAG, value: group },
    ];
  }

  /** The waiting action the target names (by token, else by instance id), or AWS's ValidationError. */
  private activeAction(target: ActionTarget): LabLifecycleAction {
    const { group, hook, token, instanceId } = target;
    if (!token && !instanceId) throw autoScalingErrors.tokenOrInstance();
    this.requireGroup(group);
    const action = this.actionList.find(
      (a) =>
        a.endedAt === undefined &&
        a.group === group &&
        a.hook === hook &&
        (token ? a.token === token : a.instanceId === instanceId),
    );
    if (action) return action;
    throw token
      ? autoScalingErrors.noActiveActionForToken(token)
      : autoScalingErrors.noActiveActionForInstance(instanceId ?? '');
  }

  private startAction(member: LabAutoScalingInstance, hook: LabLifecycleHook, now: number) {
    const action: LabLifecycleAction = {
      token: randomUUID(),
      instanceId: member.instanceId,
      group: member.group,
      hook: hook.name,
      transition: hook.transition,
      startedAt: now,
      deadline: now + hook.heartbeatTimeout * 1000,
      globalDeadline: now + hook.globalTimeout * 1000,
      heartbeats: [],
    };
    this.actionList.push(action);
    this.armTimeout(action);
    return action;
  }

  private armTimeout(action: LabLifecycleAction): void {
    clearTimeout(this.timers.get(action.token));
    const timer = setTimeout(
      () => {
        this.timers.delete(action.token);
        if (action.endedAt !== undefined) return;
        const hook = this.groups.get(action.group)?.get(action.hook);
        this.endAction(action, hook?.defaultResult ?? 'ABANDON', 'timeout');
      },
      Math.max(0, action.deadline - Date.now()),
    );
    this.timers.set(action.token, timer);
  }

  /** Ends one action; ABANDON on a terminating hook ends the instance's other actions too (AWS: remaining actions are skipped). */
  private endAction(
    action: LabLifecycleAction,
    result: LifecycleResult,
    endedBy: 'complete' | 'timeout',
  ): void {
    const now = Date.now();
    const siblings = this.actionList.filter(
      (a) => a.instanceId === action.instanceId && a.endedAt === undefined,
    );
    for (const a of result === 'ABANDON' ? siblings : [action]) {
      a.result = result;
      a.endedAt = now;
      a.endedBy = endedBy;
      clearTimeout(this.timers.get(a.token));
      this.timers.delete(a.token);
    }
    const member = this.members.get(action.instanceId);
    const stillWaiting = this.actionList.some(
      (a) => a.instanceId === action.instanceId && a.endedAt === undefined,
    );
    if (member && !stillWaiting) this.proceed(member, result, endedBy);
  }

  /** Terminating:Proceed: EC2 terminates the instance (its DeleteOnTermination ENIs go with it). */
  private proceed(
    member: LabAutoScalingInstance,
    result: LifecycleResult,
    endedBy: ScaleInOutcome['endedBy'],
  ) {
    member.lifecycleState = 'Terminating:Proceed';
    this.ec2.terminateInstance(member.instanceId);
    const finish = this.finishers.get(member.instanceId);
    this.finishers.delete(member.instanceId);
    finish?.({ instanceId: member.instanceId, result, endedBy, endedAt: Date.now() });
  }
}
