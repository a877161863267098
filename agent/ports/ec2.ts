// Port: the EC2 calls the agent makes, in the agent's own types.
import type { InstanceTypeFacts } from '../model/max-pods.ts';
import type { EniFacts, ImageFacts, SubnetFacts } from '../model/types.ts';

export interface CreateEniInput {
  subnetId: string;
  description: string;
  tags: Record<string, string>;
  clientToken: string;
}

export interface Ec2 extends Ec2Inspect {
  describeSubnets(input: {
    subnetIds?: string[];
    tags?: Record<string, string>;
    outpostArn?: string;
  }): Promise<SubnetFacts[]>;
  /** Paginated; filters are EC2 filter names (`tag:K`, `attachment.instance-id`, `status`, ...). */
  describeNetworkInterfaces(input: {
    ids?: string[];
    filters?: Record<string, string[]>;
  }): Promise<EniFacts[]>;
  createNetworkInterface(input: CreateEniInput): Promise<EniFacts>;
  attachNetworkInterface(input: { eniId: string; instanceId: string; deviceIndex: number }): Promise<string>;
  /** Resolves once the ENI's attachment is `attached` (bounded by timeoutSeconds). */
  waitForAttached(input: { eniId: string; timeoutSeconds: number }): Promise<EniFacts>;
  setDeleteOnTermination(input: { eniId: string; attachmentId: string; value: boolean }): Promise<void>;
  createTags(input: { resourceIds: string[]; tags: Record<string, string> }): Promise<void>;
  detachNetworkInterface(input: { attachmentId: string; force?: boolean }): Promise<void>;
  /** Resolves once the ENI is `available` (detached) or gone. */
  waitForDetached(input: { eniId: string; timeoutSeconds: number }): Promise<void>;
  /** "Already gone" is success. */
  deleteNetworkInterface(input: { eniId: string }): Promise<void>;
  describeInstanceType(instanceType: string): Promise<InstanceTypeFacts>;
  /** States of the instances that still exist (missing ids are simply absent: filtered, never NotFound). */
  instanceStates(instanceIds: string[]): Promise<Map<string, string>>;
}

import type { DryRunProbe } from '../model/ec2-actions.ts';

export type { DryRunProbe };

/** DryRunOperation = allowed, UnauthorizedOperation = denied, anything else = inconclusive (with its code). */
export interface DryRunVerdict {
  outcome: 'allowed' | 'denied' | 'inconclusive';
  code?: string;
  message?: string;
}

/** Read-only calls diagnose and preflight add to the agent's port (kept apart from the calls `up` makes). */
export interface Ec2Inspect {
  describeImages(input: { ids: string[] }): Promise<ImageFacts[]>;
  /** Never throws for an API answer: the verdict carries it. */
  dryRun(probe: DryRunProbe): Promise<DryRunVerdict>;
}
