// Every EC2 action the agent calls, with the commands that call it: the IAM policy and the permission checks follow it.
import type { DryRunProbe } from '../ports/ec2.ts';

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
