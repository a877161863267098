// Every EC2 action the agent calls, with the commands that call it: the IAM policy and the permission checks follow it.
import type { Ec2Step } from './plan-lni.ts';
import { TAG_OWNER } from './tags.ts';

const STEP_ACTION = {
  'attach-eni': 'AttachNetworkInterface',
  'set-delete-on-termination': 'ModifyNetworkInterfaceAttribute',
  'delete-eni': 'DeleteNetworkInterface',
} as const satisfies Partial<Record<Ec2Step['kind'], DryRunProbe['action']>>;

/** One permission probe: the call the agent would make, sent with DryRun=true (diagnose/preflight). */
export type DryRunProbe =
  | {
      action:
        | 'DescribeSubnets'
        | 'DescribeNetworkInterfaces'
        | 'DescribeImages'
        | 'DescribeInstances'
        | 'DescribeInstanceTypes';
    }
  | { action: 'CreateNetworkInterface'; subnetId: string; description: string; tags: Record<string, string> }
  | { action: 'AttachNetworkInterface'; eniId: string; instanceId: string; deviceIndex: number }
  | { action: 'ModifyNetworkInterfaceAttribute'; eniId: string; attachmentId: string }
  | { action: 'CreateTags'; eniId: string; tags: Record<string, string> }
  | { action: 'DetachNetworkInterface'; attachmentId: string }
  | { action: 'DeleteNetworkInterface'; eniId: string };

export type Ec2Action = DryRunProbe['action'];

export interface Ec2ActionUse {
  action: Ec2Action;
  usedBy: readonly ('up' | 'release' | 'sweep' | 'diagnose' | 'preflight')[];
  /** Needs an existing LNI to probe with realistic parameters (tag conditions are evaluated on it). */
  onLni: boolean;
}

export const EC2_ACTIONS: readonly Ec2ActionUse[] = [
  { action: 'DescribeSubnets', usedBy: ['up', 'diagnose', 'preflight'], onLni: false },
  { action: 'DescribeNetworkInterfaces', usedBy: ['up', 'release', 'sweep', 'diagnose'], onLni: false },
  { action: 'DescribeImages', usedBy: ['diagnose', 'preflight'], onLni: false },
  { action: 'DescribeInstances', usedBy: ['sweep'], onLni: false },
  /** kubelet max-pods (join.maxPods auto). */
  { action: 'DescribeInstanceTypes', usedBy: ['up'], onLni: false },
  { action: 'CreateNetworkInterface', usedBy: ['up'], onLni: false },
  { action: 'AttachNetworkInterface', usedBy: ['up'], onLni: true },
  { action: 'ModifyNetworkInterfaceAttribute', usedBy: ['up'], onLni: true },
  { action: 'CreateTags', usedBy: ['up'], onLni: true },
  { action: 'DetachNetworkInterface', usedBy: ['release'], onLni: true },
  { action: 'DeleteNetworkInterface', usedBy: ['up', 'release', 'sweep'], onLni: true },
];

/** Every Auto Scaling action the agent calls (`watch`, the termination lifecycle hook); the IAM policy follows it. */
export const AUTOSCALING_ACTIONS = [
  'DescribeAutoScalingInstances',
  'DescribeLifecycleHooks',
  'RecordLifecycleActionHeartbeat',
  'CompleteLifecycleAction',
] as const;

/** The permission probes for the EC2 calls a plan will make, and the calls that cannot be probed yet. */
export interface PlannedProbes {
  probes: DryRunProbe[];
  /** Calls on an ENI or attachment that does not exist yet (a create's result): probed by `diagnose` later. */
  unprobed: Ec2Action[];
}

/**
 * Each planned EC2 call as a DryRun probe with the very parameters `up` will send, so resource-level conditions in
 * the node role's policy are evaluated as for the real call. Waits are reads `up` has already been allowed to make.
 */
export function probesForSteps(steps: readonly Ec2Step[], instanceId: string): PlannedProbes {
  const probes: DryRunProbe[] = [];
  const unprobed: Ec2Action[] = [];
  // ENIs the plan tags first (adopting a launch template's LNI): the node policy allows changing an ENI only once it
  // carries the agent's owner tag, so a probe of a later call on it now would be denied for a reason the run
  // removes. Those calls are made after the tags and are not probed.
  const taggedFirst = new Set(
    steps.flatMap((s) => (s.kind === 'create-tags' && TAG_OWNER in s.tags ? [s.eniId] : [])),
  );
  for (const s of steps) {
    if (
      (s.kind === 'attach-eni' || s.kind === 'set-delete-on-termination' || s.kind === 'delete-eni') &&
      s.eniId &&
      taggedFirst.has(s.eniId)
    ) {
      unprobed.push(STEP_ACTION[s.kind]);
      continue;
    }
    switch (s.kind) {
      case 'create-eni':
        probes.push({
          action: 'CreateNetworkInterface',
          subnetId: s.subnetId,
          description: s.description,
          tags: s.tags,
        });
        break;
      case 'attach-eni':
        if (s.eniId)
          probes.push({
            action: 'AttachNetworkInterface',
            eniId: s.eniId,
            instanceId,
            deviceIndex: s.deviceIndex,
          });
        else unprobed.push('AttachNetworkInterface');
        break;
      case 'set-delete-on-termination':
        if (s.eniId && s.attachmentId)
          probes.push({
            action: 'ModifyNetworkInterfaceAttribute',
            eniId: s.eniId,
            attachmentId: s.attachmentId,
          });
        else unprobed.push('ModifyNetworkInterfaceAttribute');
        break;
      case 'create-tags':
        probes.push({ action: 'CreateTags', eniId: s.eniId, tags: s.tags });
        break;
      case 'delete-eni':
        probes.push({ action: 'DeleteNetworkInterface', eniId: s.eniId });
        break;
      case 'wait-attached':
        break;
    }
  }
  return { probes, unprobed };
}
