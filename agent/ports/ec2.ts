// Port: the EC2 calls the agent makes, in the agent's own types.
import type { EniFacts, SubnetFacts } from '../model/types.ts';

export interface CreateEniInput {
  subnetId: string;
  description: string;
  tags: Record<string, string>;
  clientToken: string;
}

export interface Ec2 {
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
}
