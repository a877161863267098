// Pure decision: which ENI is this instance's one LNI, and which EC2 steps make it so.
import type { AgentState } from './state.ts';
import { clientTokenFor } from './state.ts';
import { lniTags, missingTags, TAG_CREATED_AT, TAG_OWNER } from './tags.ts';
import type { EniFacts, InstanceFacts, SubnetFacts } from './types.ts';

export type Ec2Step =
  | {
      kind: 'create-eni';
      subnetId: string;
      clientToken: string;
      tags: Record<string, string>;
      description: string;
    }
  | { kind: 'attach-eni'; eniId?: string; deviceIndex: number }
  | { kind: 'wait-attached'; eniId?: string }
  | { kind: 'set-delete-on-termination'; eniId?: string; attachmentId?: string }
  | { kind: 'create-tags'; eniId: string; tags: Record<string, string> }
  | { kind: 'delete-eni'; eniId: string; reason: string };

export interface LniDecision {
  /** How the LNI was found: already attached, an orphan of ours re-attached, or created now. */
  source: 'attached' | 'orphan' | 'create';
  /** Known now unless created by the steps. */
  eni?: EniFacts;
  createdByAgent: boolean;
  steps: Ec2Step[];
}

export class LniConflict extends Error {}

export interface LniInput {
  instance: InstanceFacts;
  subnet: SubnetFacts;
  deviceIndex: number;
  cluster?: string;
  /** ENIs attached to this instance, and ENIs tagged as owned by it (any status). */
  enis: EniFacts[];
  state?: AgentState;
  /** ISO time of this run; stamped on a created ENI (a retried create reuses the pending one's). */
  now: string;
}

function attachedHere(e: EniFacts, instanceId: string): boolean {
  return (
    e.attachment?.instanceId === instanceId &&
    e.attachment.status !== 'detaching' &&
    e.attachment.status !== 'detached'
  );
}

export function planLni(input: LniInput): LniDecision {
  const { instance, subnet, deviceIndex, state } = input;
  const wantTags = lniTags(instance.instanceId, input.cluster);
  const atIndex = input.enis.find(
    (e) => attachedHere(e, instance.instanceId) && e.attachment?.deviceIndex === deviceIndex,
  );

  if (atIndex) {
    if (atIndex.subnetId !== subnet.subnetId)
      throw new LniConflict(
        `device index ${deviceIndex} holds ${atIndex.networkInterfaceId} from ${atIndex.subnetId}, not an LNI of ${subnet.subnetId}; detach it or choose another lni.subnetId`,
      );
    const steps: Ec2Step[] = [];
    const tags = missingTags(atIndex.tags, wantTags);
    if (Object.keys(tags).length)
      steps.push({ kind: 'create-tags', eniId: atIndex.networkInterfaceId, tags });
    if (atIndex.attachment?.status !== 'attached')
      steps.push({ kind: 'wait-attached', eniId: atIndex.networkInterfaceId });
    if (!atIndex.attachment?.deleteOnTermination)
      steps.push({
        kind: 'set-delete-on-termination',
        eniId: atIndex.networkInterfaceId,
        attachmentId: atIndex.attachment?.attachmentId,
      });
    const createdByAgent = state?.eni?.id === atIndex.networkInterfaceId ? state.eni.createdByAgent : false;
    return {
      source: 'attached',
      eni: atIndex,
      createdByAgent,
      steps: [...steps, ...extraOrphans(input, atIndex)],
    };
  }

  const orphans = ownedAvailable(input);
  const orphan = orphans.find((e) => e.subnetId === subnet.subnetId);
  if (orphan) {
    const tags = missingTags(orphan.tags, wantTags);
    return {
      source: 'orphan',
      eni: orphan,
      createdByAgent: true,
      steps: [
        ...(Object.keys(tags).length
          ? [{ kind: 'create-tags' as const, eniId: orphan.networkInterfaceId, tags }]
          : []),
        ...attachSteps(deviceIndex, orphan.networkInterfaceId),
        ...extraOrphans(input, orphan),
      ],
    };
  }

  const generation = state?.tokenGeneration ?? 0;
  // A retried create must repeat its parameters exactly, or EC2 answers IdempotentParameterMismatch.
  const clientToken = state?.pendingCreate?.clientToken ?? clientTokenFor(instance.instanceId, generation);
  const createdAt = state?.pendingCreate?.at ?? input.now;
  return {
    source: 'create',
    createdByAgent: true,
    steps: [
      {
        kind: 'create-eni',
        subnetId: subnet.subnetId,
        clientToken,
        tags: { ...wantTags, [TAG_CREATED_AT]: createdAt },
        description: `LNI of ${instance.instanceId} (outposts-node-agent)`,
      },
      ...attachSteps(deviceIndex, undefined),
      ...extraOrphans(input, undefined),
    ],
  };
}

function attachSteps(deviceIndex: number, eniId: string | undefined): Ec2Step[] {
  return [
    { kind: 'attach-eni', eniId, deviceIndex },
    { kind: 'wait-attached', eniId },
    { kind: 'set-delete-on-termination', eniId },
  ];
}

function ownedAvailable(input: LniInput): EniFacts[] {
  return input.enis.filter(
    (e) => e.status === 'available' && e.tags[TAG_OWNER] === input.instance.instanceId,
  );
}

/** Our own unattached leftovers besides the one we keep: delete them so nothing leaks. */
function extraOrphans(input: LniInput, keep: EniFacts | undefined): Ec2Step[] {
  return ownedAvailable(input)
    .filter((e) => e.networkInterfaceId !== keep?.networkInterfaceId)
    .map((e) => ({
      kind: 'delete-eni' as const,
      eniId: e.networkInterfaceId,
      reason: 'extra unattached ENI owned by this instance',
    }));
}
