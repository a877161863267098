// EC2 port on AWS SDK v3: adaptive retries for throttling, SDK waiters for eventual consistency and attach.
import {
  type _InstanceType,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  type Filter,
  ModifyNetworkInterfaceAttributeCommand,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  type Subnet,
  type Tag,
} from '@aws-sdk/client-ec2';
import { createWaiter, WaiterState } from '@smithy/core/client';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Ec2Error } from '../errors.ts';
import type { EniFacts, ImageFacts, SubnetFacts } from '../model/types.ts';
import type { CreateEniInput, DryRunProbe, DryRunVerdict, Ec2 } from '../ports/ec2.ts';
import { errorCode } from './aws-errors.ts';

export const NOT_FOUND = 'InvalidNetworkInterfaceID.NotFound';

/**
 * How the agent waits on EC2 (a new ENI becoming visible, an attachment completing): every 100 ms for the first
 * 2 s (at most 20 cheap describes), when the answer usually comes, then the SDK waiter's exponential backoff with
 * jitter (0.5–3 s) for the rest. The SDK's backoff alone overshoots a short wait by half a second or more.
 */
const QUICK_POLL = { forSeconds: 2, everySeconds: 0.1 } as const;

type Check = () => Promise<{ state: WaiterState; reason?: unknown }>;

async function poll(client: EC2Client, maxWaitSeconds: number, check: Check) {
  const quick = Math.min(maxWaitSeconds, QUICK_POLL.forSeconds);
  const every = QUICK_POLL.everySeconds;
  const first = await createWaiter(
    { client, maxWaitTime: quick, minDelay: every, maxDelay: every },
    undefined,
    check,
  );
  if (first.state !== WaiterState.TIMEOUT || maxWaitSeconds - quick < 1) return first;
  return createWaiter(
    { client, maxWaitTime: maxWaitSeconds - quick, minDelay: 0.5, maxDelay: 3 },
    undefined,
    check,
  );
}
const ATTACHMENT_NOT_FOUND = 'InvalidAttachmentID.NotFound';

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function toTagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function toFilters(filters: Record<string, string[]> | undefined): Filter[] | undefined {
  return filters && Object.entries(filters).map(([Name, Values]) => ({ Name, Values }));
}

export function eniFacts(n: NetworkInterface): EniFacts {
  const a = n.Attachment;
  return {
    networkInterfaceId: n.NetworkInterfaceId ?? '',
    subnetId: n.SubnetId ?? '',
    macAddress: (n.MacAddress ?? '').toLowerCase(),
    privateIpAddress: n.PrivateIpAddress,
    status: n.Status ?? 'unknown',
    tags: tagsOf(n.TagSet),
    attachment: a?.AttachmentId
      ? {
          attachmentId: a.AttachmentId,
          instanceId: a.InstanceId,
          deviceIndex: a.DeviceIndex ?? -1,
          status: a.Status ?? 'unknown',
          deleteOnTermination: Boolean(a.DeleteOnTermination),
        }
      : undefined,
  };
}

function subnetFacts(s: Subnet): SubnetFacts {
  return {
    subnetId: s.SubnetId ?? '',
    vpcId: s.VpcId ?? '',
    cidrBlock: s.CidrBlock ?? '',
    availabilityZone: s.AvailabilityZone ?? '',
    outpostArn: s.OutpostArn || undefined,
    enableLniAtDeviceIndex: s.EnableLniAtDeviceIndex || undefined,
  };
}

export interface Ec2AdapterOptions {
  region: string;
  /** Total attempts per call for throttling and 5xx (adaptive retry mode). */
  maxAttempts?: number;
  /** Bound for riding out eventual consistency on a just-created ENI. */
  consistencySeconds?: number;
  requestTimeoutMs?: number;
}

export class SdkEc2 implements Ec2 {
  readonly client: EC2Client;
  private readonly consistencySeconds: number;

  constructor(opts: Ec2AdapterOptions) {
    this.client = new EC2Client({
      region: opts.region,
      retryMode: 'adaptive',
      maxAttempts: opts.maxAttempts ?? 8,
      // The SDK waits forever by default (and only warns on requestTimeout unless told to throw):
      // a hung endpoint must become a retry, then an error.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 3000,
        requestTimeout: opts.requestTimeoutMs ?? 10_000,
        throwOnRequestTimeout: true,
      }),
    });
    this.consistencySeconds = opts.consistencySeconds ?? 30;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrap(action, err);
    }
  }

  /** Runs `fn` until it stops answering NotFound (eventual consistency after create), via the SDK's waiter. */
  private async whileNotFound<T>(action: string, fn: () => Promise<T>): Promise<T> {
    let value: T | undefined;
    const result = await poll(this.client, this.consistencySeconds, async () => {
      try {
        value = await fn();
        return { state: WaiterState.SUCCESS };
      } catch (err) {
        if (errorCode(err) === NOT_FOUND) return { state: WaiterState.RETRY, reason: err };
        return { state: WaiterState.FAILURE, reason: err };
      }
    });
    if (result.state === WaiterState.SUCCESS) return value as T;
    throw wrap(action, result.reason ?? new Error(`timed out after ${this.consistencySeconds}s`));
  }

  async describeSubnets(input: { subnetIds?: string[]; tags?: Record<string, string>; outpostArn?: string }) {
    const filters: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(input.tags ?? {})) filters[`tag:${k}`] = [v];
    if (input.outpostArn) filters['outpost-arn'] = [input.outpostArn];
    const out = await this.call('DescribeSubnets', () =>
      this.client.send(
        new DescribeSubnetsCommand({
          SubnetIds: input.subnetIds,
          Filters: Object.keys(filters).length ? toFilters(filters) : undefined,
        }),
      ),
    );
    return (out.Subnets ?? []).map(subnetFacts);
  }

  async describeNetworkInterfaces(input: { ids?: string[]; filters?: Record<string, string[]> }) {
    return this.call('DescribeNetworkInterfaces', async () => {
      if (input.ids?.length) {
        const out = await this.client.send(
          new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: input.ids }),
        );
        return (out.NetworkInterfaces ?? []).map(eniFacts);
      }
      const all: EniFacts[] = [];
      const pages = paginateDescribeNetworkInterfaces(
        { client: this.client, pageSize: 1000 },
        { Filters: toFilters(input.filters) },
      );
      for await (const page of pages) all.push(...(page.NetworkInterfaces ?? []).map(eniFacts));
      return all;
    });
  }

  async createNetworkInterface(input: CreateEniInput) {
    const out = await this.call('CreateNetworkInterface', () =>
      this.client.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: input.subnetId,
          Description: input.description,
          ClientToken: input.clientToken,
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: toTagList(input.tags) }],
        }),
      ),
    );
    if (!out.NetworkInterface) throw new Ec2Error('CreateNetworkInterface returned no network interface');
    return eniFacts(out.NetworkInterface);
  }

  async attachNetworkInterface(input: { eniId: string; instanceId: string; deviceIndex: number }) {
    let out: { AttachmentId?: string };
    try {
      out = await this.whileNotFound('AttachNetworkInterface', () =>
        this.client.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: input.eniId,
            InstanceId: input.instanceId,
            DeviceIndex: input.deviceIndex,
          }),
        ),
      );
    } catch (err) {
      // A lost or late answer makes the SDK retry an attach that already happened: EC2 then says InUse.
      // If the ENI is attached where we asked, that retry succeeded in all but name.
      if ((err as Ec2Error).details?.code !== 'InvalidNetworkInterface.InUse') throw err;
      const [eni] = await this.describeNetworkInterfaces({ ids: [input.eniId] });
      const a = eni?.attachment;
      if (a?.instanceId !== input.instanceId || a.deviceIndex !== input.deviceIndex) throw err;
      return a.attachmentId;
    }
    if (!out.AttachmentId) throw new Ec2Error('AttachNetworkInterface returned no attachment id');
    return out.AttachmentId;
  }

  private async waitFor(
    eniId: string,
    timeoutSeconds: number,
    done: (e: EniFacts | undefined) => boolean,
    what: string,
  ) {
    let last: EniFacts | undefined;
    const result = await poll(this.client, timeoutSeconds, async () => {
      try {
        const out = await this.client.send(
          new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }),
        );
        last = out.NetworkInterfaces?.[0] && eniFacts(out.NetworkInterfaces[0]);
      } catch (err) {
        if (errorCode(err) !== NOT_FOUND) return { state: WaiterState.FAILURE, reason: err };
        last = undefined;
      }
      return { state: done(last) ? WaiterState.SUCCESS : WaiterState.RETRY };
    });
    if (result.state === WaiterState.FAILURE) throw wrap('DescribeNetworkInterfaces', result.reason);
    if (result.state !== WaiterState.SUCCESS)
      throw new Ec2Error(
        `${eniId} did not become ${what} within ${timeoutSeconds}s (last status ${last?.attachment?.status ?? last?.status ?? 'not found'})`,
      );
    return last;
  }

  async waitForAttached(input: { eniId: string; timeoutSeconds: number }) {
    const e = await this.waitFor(
      input.eniId,
      input.timeoutSeconds,
      (x) => x?.attachment?.status === 'attached',
      'attached',
    );
    return e as EniFacts;
  }

  async waitForDetached(input: { eniId: string; timeoutSeconds: number }) {
    await this.waitFor(input.eniId, input.timeoutSeconds, (x) => !x || x.status === 'available', 'available');
  }

  async setDeleteOnTermination(input: { eniId: string; attachmentId: string; value: boolean }) {
    await this.whileNotFound('ModifyNetworkInterfaceAttribute', () =>
      this.client.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: input.eniId,
          Attachment: { AttachmentId: input.attachmentId, DeleteOnTermination: input.value },
        }),
      ),
    );
  }

  async createTags(input: { resourceIds: string[]; tags: Record<string, string> }) {
    await this.whileNotFound('CreateTags', () =>
      this.client.send(new CreateTagsCommand({ Resources: input.resourceIds, Tags: toTagList(input.tags) })),
    );
  }

  async detachNetworkInterface(input: { attachmentId: string; force?: boolean }) {
    await this.call('DetachNetworkInterface', async () => {
      try {
        await this.client.send(
          new DetachNetworkInterfaceCommand({ AttachmentId: input.attachmentId, Force: input.force }),
        );
      } catch (err) {
        if (errorCode(err) !== ATTACHMENT_NOT_FOUND) throw err;
      }
    });
  }

  async describeInstanceType(instanceType: string) {
    const out = await this.call('DescribeInstanceTypes', () =>
      this.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] })),
    );
    const t = out.InstanceTypes?.[0];
    const net = t?.NetworkInfo;
    // Pods use the default network card only (as the VPC CNI and EKS's calculator do).
    const card = net?.NetworkCards?.find((c) => c.NetworkCardIndex === (net.DefaultNetworkCardIndex ?? 0));
    const maxEnis = card?.MaximumNetworkInterfaces ?? net?.MaximumNetworkInterfaces;
    if (!t || !maxEnis || !net?.Ipv4AddressesPerInterface || !t.VCpuInfo?.DefaultVCpus)
      throw new Ec2Error(`DescribeInstanceTypes has no network limits for ${instanceType}`);
    return {
      instanceType,
      vcpus: t.VCpuInfo.DefaultVCpus,
      maxEnis,
      ipv4PerEni: net.Ipv4AddressesPerInterface,
    };
  }

  async instanceStates(instanceIds: string[]) {
    const states = new Map<string, string>();
    // The instance-id filter (unlike InstanceIds) answers with what exists instead of failing on a gone id.
    for (let i = 0; i < instanceIds.length; i += 200) {
      const chunk = instanceIds.slice(i, i + 200);
      await this.call('DescribeInstances', async () => {
        const pages = paginateDescribeInstances(
          { client: this.client, pageSize: 1000 },
          { Filters: [{ Name: 'instance-id', Values: chunk }] },
        );
        for await (const page of pages)
          for (const r of page.Reservations ?? [])
            for (const inst of r.Instances ?? [])
              if (inst.InstanceId) states.set(inst.InstanceId, inst.State?.Name ?? 'unknown');
      });
    }
    return states;
  }

  async deleteNetworkInterface(input: { eniId: string }) {
    await this.call('DeleteNetworkInterface', async () => {
      try {
        await this.client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: input.eniId }));
      } catch (err) {
        if (errorCode(err) !== NOT_FOUND) throw err;
      }
    });
  }
  async describeImages(input: { ids: string[] }): Promise<ImageFacts[]> {
    const out = await this.call('DescribeImages', () =>
      this.client.send(new DescribeImagesCommand({ ImageIds: input.ids })),
    );
    return (out.Images ?? []).map((i) => ({
      imageId: i.ImageId ?? '',
      name: i.Name,
      snapshots: (i.BlockDeviceMappings ?? []).flatMap((m) =>
        m.Ebs?.SnapshotId ? [{ device: m.DeviceName ?? '', snapshotId: m.Ebs.SnapshotId }] : [],
      ),
    }));
  }

  async dryRun(probe: DryRunProbe): Promise<DryRunVerdict> {
    try {
      await sendDryRun(this.client, probe);
      // EC2 never performs a DryRun call; an answer without the DryRunOperation error is not a verdict.
      return {
        outcome: 'inconclusive',
        code: 'NoDryRunError',
        message: `${probe.action} answered without DryRunOperation`,
      };
    } catch (err) {
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      if (code === 'DryRunOperation') return { outcome: 'allowed', code };
      if (code === 'UnauthorizedOperation') return { outcome: 'denied', code, message };
      return { outcome: 'inconclusive', code, message };
    }
  }
}

function wrap(action: string, err: unknown): Error {
  if (err instanceof Ec2Error) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return new Ec2Error(
    `EC2 ${action} failed: ${code && !message.startsWith(code) ? `${code}: ` : ''}${message}`,
    { action, code },
    { cause: err },
  );
}

/** Sends a permission probe: the agent's own call with its own parameters, plus DryRun. */
function sendDryRun(client: EC2Client, p: DryRunProbe): Promise<unknown> {
  const DryRun = true;
  switch (p.action) {
    case 'DescribeSubnets':
      return client.send(new DescribeSubnetsCommand({ DryRun }));
    case 'DescribeNetworkInterfaces':
      return client.send(new DescribeNetworkInterfacesCommand({ DryRun }));
    case 'DescribeImages':
      return client.send(new DescribeImagesCommand({ DryRun }));
    case 'DescribeInstances':
      return client.send(new DescribeInstancesCommand({ DryRun }));
    case 'DescribeInstanceTypes':
      return client.send(new DescribeInstanceTypesCommand({ DryRun }));
    case 'CreateNetworkInterface':
      return client.send(
        new CreateNetworkInterfaceCommand({
          DryRun,
          SubnetId: p.subnetId,
          Description: p.description,
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: toTagList(p.tags) }],
        }),
      );
    case 'AttachNetworkInterface':
      return client.send(
        new AttachNetworkInterfaceCommand({
          DryRun,
          NetworkInterfaceId: p.eniId,
          InstanceId: p.instanceId,
          DeviceIndex: p.deviceIndex,
        }),
      );
    case 'ModifyNetworkInterfaceAttribute':
      return client.send(
        new ModifyNetworkInterfaceAttributeCommand({
          DryRun,
          NetworkInterfaceId: p.eniId,
          Attachment: { AttachmentId: p.attachmentId, DeleteOnTermination: true },
        }),
      );
    case 'CreateTags':
      return client.send(new CreateTagsCommand({ DryRun, Resources: [p.eniId], Tags: toTagList(p.tags) }));
    case 'DetachNetworkInterface':
      return client.send(new DetachNetworkInterfaceCommand({ DryRun, AttachmentId: p.attachmentId }));
    case 'DeleteNetworkInterface':
      return client.send(new DeleteNetworkInterfaceCommand({ DryRun, NetworkInterfaceId: p.eniId }));
  }
}
