// Every EC2 operation the lab serves, called through @aws-sdk/client-ec2 and the AWS CLI v2: both parse the same values.
import {
  type _InstanceType,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  type DescribeImagesResult,
  DescribeInstancesCommand,
  type DescribeInstancesResult,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesResult,
  DescribeNetworkInterfacesCommand,
  type DescribeNetworkInterfacesResult,
  DescribeSubnetsCommand,
  type DescribeSubnetsResult,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ModifySubnetAttributeCommand,
  type NetworkInterface,
  paginateDescribeNetworkInterfaces,
  TerminateInstancesCommand,
  type TerminateInstancesResult,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEni } from '../types.ts';
import { conformanceFixture, IDS, OUTPOST_ARN } from './fixture.ts';
import { type CliResult, type LabEndpoints, startLabEndpoints } from './harness.ts';
import { eniView, imageView, instanceView, subnetView } from './views.ts';

let lab: LabEndpoints;
let ec2: EC2Client;

beforeAll(async () => {
  lab = await startLabEndpoints({
    fixture: await conformanceFixture(),
    timings: { attachDelayMs: 50, detachDelayMs: 50, consistencyDelayMs: 0 },
    terminateDelayMs: 50,
  });
  ec2 = lab.sdk();
});

afterAll(() => lab.close());

/** The CLI's JSON output, after checking that it succeeded. */
function cliOutput<T>(result: CliResult): T {
  expect(result.error, result.stderr).toBeUndefined();
  expect(result.exitCode, result.stderr).toBe(0);
  return result.json as T;
}

/** What both clients must report for an ENI: the lab's own record, in the SDK's shape. */
function expectedEni(eni: LabEni) {
  const attachment = eni.attachment;
  return {
    id: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    outpostArn: lab.state.getSubnet(eni.subnetId)?.outpostArn,
    status: eni.status,
    mac: eni.macAddress,
    ip: eni.privateIpAddress,
    ips: [[eni.privateIpAddress, true]],
    description: eni.description,
    ownerId: '123456789012',
    interfaceType: 'interface',
    sourceDestCheck: eni.sourceDestCheck,
    requesterManaged: false,
    tags: eni.tags.map((t) => ({ Key: t.key, Value: t.value })).sort((a, b) => a.Key.localeCompare(b.Key)),
    attachment: attachment && {
      id: attachment.attachmentId,
      instanceId: attachment.instanceId,
      deviceIndex: attachment.deviceIndex,
      status: attachment.status,
      deleteOnTermination: attachment.deleteOnTermination,
      attachTime: Date.parse(attachment.attachTime),
    },
  };
}

const stateEni = (id: string | undefined): LabEni => {
  const eni = lab.state.getEni(id ?? '');
  if (!eni) throw new Error(`no ENI ${id} in the lab`);
  return eni;
};

const newEni = (description: string) =>
  lab.state.createNetworkInterface({ subnetId: IDS.lniSubnet, description }).eni;

/** Two fresh ENIs attached (and settled) to nodes A and B at `deviceIndex`. */
async function attachedEnis(deviceIndex: number): Promise<[LabEni, LabEni]> {
  const pair: [LabEni, LabEni] = [newEni(`a-${deviceIndex}`), newEni(`b-${deviceIndex}`)];
  for (const [eni, instanceId] of [
    [pair[0], IDS.nodeA],
    [pair[1], IDS.nodeB],
  ] as const) {
    lab.state.attachNetworkInterface({ networkInterfaceId: eni.networkInterfaceId, instanceId, deviceIndex });
  }
  await lab.state.settled();
  return pair;
}

const sortById = <T extends { id?: string } | undefined>(views: T[]): T[] =>
  [...views].sort((a, b) => (a?.id ?? '').localeCompare(b?.id ?? ''));

const describeEnisCli = async (ids: string[]) =>
  cliOutput<DescribeNetworkInterfacesResult>(
    await lab.cli(['describe-network-interfaces', '--network-interface-ids', ...ids]),
  ).NetworkInterfaces ?? [];

const describeEnisSdk = async (ids: string[]) =>
  (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ids }))).NetworkInterfaces ??
  [];

describe.concurrent('EC2 operations through both clients', () => {
  function expectedInstance(instanceId: string) {
    const instance = lab.state.getInstance(instanceId);
    const [primary] = lab.state.enisOfInstance(instanceId);
    if (!instance || !primary) throw new Error(`fixture lacks ${instanceId}`);
    return {
      id: instanceId,
      state: ['running', 16],
      type: 'c6id.2xlarge',
      imageId: IDS.al2023,
      subnetId: IDS.lniSubnet,
      vpcId: IDS.vpc,
      ip: instance.privateIpAddress,
      az: 'us-west-2a',
      outpostArn: OUTPOST_ARN,
      launchTime: Date.parse(instance.launchTime),
      tags: [{ Key: 'Name', Value: instance.tags[0]?.value }],
      enis: [[primary.networkInterfaceId, primary.macAddress, 0, 'attached', true]],
    };
  }

  it('DescribeInstances by filters (state, tag:Name) and by ids: same instances, states and primary ENIs', async () => {
    const [sdk, cliByFilter] = await Promise.all([
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'instance-state-name', Values: ['running'] },
            { Name: 'tag:Name', Values: ['conf-f', 'conf-g'] },
          ],
        }),
      ),
      lab.cli([
        'describe-instances',
        '--filters',
        'Name=instance-state-name,Values=running',
        'Name=tag:Name,Values=conf-f,conf-g',
      ]),
    ]);
    const byIds = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [IDS.nodeF, IDS.nodeG] }));
    const expected = [expectedInstance(IDS.nodeF), expectedInstance(IDS.nodeG)];
    const views = (out: DescribeInstancesResult) =>
      (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(instanceView);
    expect(views(sdk)).toEqual(expected);
    expect(views(byIds)).toEqual(expected);
    expect(views(cliOutput(cliByFilter))).toEqual(expected);
  });

  it('DescribeSubnets by outpost-arn filter and by id: OutpostArn and EnableLniAtDeviceIndex come through', async () => {
    const [sdk, cli] = await Promise.all([
      ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'outpost-arn', Values: [OUTPOST_ARN] }] })),
      lab.cli(['describe-subnets', '--subnet-ids', IDS.lniSubnet, IDS.regionSubnet]),
    ]);
    const lniSubnet = {
      id: IDS.lniSubnet,
      vpcId: IDS.vpc,
      cidr: '10.30.1.0/24',
      az: 'us-west-2a',
      azId: 'usw2-az1',
      outpostArn: OUTPOST_ARN,
      lniIndex: 1,
      state: 'available',
      freeIps: expect.any(Number),
      tags: [{ Key: 'Name', Value: 'conf-subnet-1' }],
    };
    const sdkViews = (sdk.Subnets ?? []).map(subnetView);
    expect(sdkViews.map((s) => s?.id)).toEqual([IDS.lniSubnet, IDS.outpostSubnetB, IDS.outpostSubnetC]);
    expect(sdkViews[0]).toEqual(lniSubnet);
    const cliViews = (cliOutput<DescribeSubnetsResult>(cli).Subnets ?? []).map(subnetView);
    expect(cliViews[0]).toEqual(lniSubnet);
    expect(cliViews[1]).toMatchObject({ id: IDS.regionSubnet, outpostArn: undefined, lniIndex: undefined });
  });

  it('ModifySubnetAttribute enables and disables the LNI device index from both clients', async () => {
    const lniIndex = (subnetId: string) => lab.state.getSubnet(subnetId)?.enableLniAtDeviceIndex;
    await ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: IDS.outpostSubnetB, EnableLniAtDeviceIndex: 2 }),
    );
    expect(lniIndex(IDS.outpostSubnetB)).toBe(2);
    const [enable, disable] = await Promise.all([
      lab.cli([
        'modify-subnet-attribute',
        '--subnet-id',
        IDS.outpostSubnetC,
        '--enable-lni-at-device-index',
        '3',
      ]),
      lab.cli([
        'modify-subnet-attribute',
        '--subnet-id',
        IDS.outpostSubnetB,
        '--disable-lni-at-device-index',
      ]),
    ]);
    cliOutput(enable);
    cliOutput(disable);
    expect([lniIndex(IDS.outpostSubnetB), lniIndex(IDS.outpostSubnetC)]).toEqual([undefined, 3]);
    await ec2.send(
      new ModifySubnetAttributeCommand({
        SubnetId: IDS.outpostSubnetC,
        DisableLniAtDeviceIndex: { Value: true },
      }),
    );
    expect(lniIndex(IDS.outpostSubnetC)).toBeUndefined();
  });

  it('DescribeInstanceTypes: ENIs, IPv4 per ENI and vCPUs of the Outposts server types', async () => {
    const types: _InstanceType[] = ['c6gd.medium', 'c6id.8xlarge'];
    const [sdk, cli] = await Promise.all([
      ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: types })),
      lab.cli(['describe-instance-types', '--instance-types', ...types]),
    ]);
    const view = (r: DescribeInstanceTypesResult) =>
      (r.InstanceTypes ?? []).map((t) => [
        t.InstanceType,
        t.VCpuInfo?.DefaultVCpus,
        t.NetworkInfo?.MaximumNetworkInterfaces,
        t.NetworkInfo?.Ipv4AddressesPerInterface,
        t.NetworkInfo?.NetworkCards?.[t.NetworkInfo?.DefaultNetworkCardIndex ?? 0]?.MaximumNetworkInterfaces,
      ]);
    const expected = [
      ['c6gd.medium', 1, 2, 4, 2],
      ['c6id.8xlarge', 32, 8, 30, 8],
    ];
    expect(view(sdk)).toEqual(expected);
    expect(view(cliOutput<DescribeInstanceTypesResult>(cli))).toEqual(expected);
  });

  it('DescribeImages: block-device mappings with their snapshot ids (one for AL2023, two for Bottlerocket)', async () => {
    const ids = [IDS.al2023, IDS.bottlerocket];
    const [sdk, cli] = await Promise.all([
      ec2.send(new DescribeImagesCommand({ ImageIds: ids })),
      lab.cli(['describe-images', '--image-ids', ...ids]),
    ]);
    const expected = [
      {
        id: IDS.al2023,
        name: 'amazon-eks-node-al2023-x86_64-standard-1.31-v20250101',
        architecture: 'x86_64',
        rootDevice: '/dev/xvda',
        state: 'available',
        mappings: [['/dev/xvda', 'snap-0a1b2c3d4e5f60001']],
      },
      {
        id: IDS.bottlerocket,
        name: 'bottlerocket-aws-k8s-1.31-x86_64-v1.30.0',
        architecture: 'x86_64',
        rootDevice: '/dev/xvda',
        state: 'available',
        mappings: [
          ['/dev/xvda', 'snap-0a1b2c3d4e5f60002'],
          ['/dev/xvdb', 'snap-0a1b2c3d4e5f60003'],
        ],
      },
    ];
    expect((sdk.Images ?? []).map(imageView)).toEqual(expected);
    expect((cliOutput<DescribeImagesResult>(cli).Images ?? []).map(imageView)).toEqual(expected);
  });

  it('TerminateInstances: both report running(16) → shutting-down(32), then terminated(48)', async () => {
    const [sdk, cli] = await Promise.all([
      ec2.send(new TerminateInstancesCommand({ InstanceIds: [IDS.nodeC] })),
      lab.cli(['terminate-instances', '--instance-ids', IDS.nodeD]),
    ]);
    const change = (out: TerminateInstancesResult) =>
      (out.TerminatingInstances ?? []).map((c) => [
        c.InstanceId,
        c.PreviousState?.Name,
        c.PreviousState?.Code,
        c.CurrentState?.Name,
        c.CurrentState?.Code,
      ]);
    expect(change(sdk)).toEqual([[IDS.nodeC, 'running', 16, 'shutting-down', 32]]);
    expect(change(cliOutput(cli))).toEqual([[IDS.nodeD, 'running', 16, 'shutting-down', 32]]);
    await lab.state.settled();
    const later = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [IDS.nodeC, IDS.nodeD] }));
    const states = (later.Reservations ?? []).map((r) => r.Instances?.[0]?.State);
    expect(states).toEqual([
      { Code: 48, Name: 'terminated' },
      { Code: 48, Name: 'terminated' },
    ]);
  });

  it('CreateNetworkInterface with tags, description and ClientToken; each client then describes the other one', async () => {
    const [sdkCreated, cliCreated] = await Promise.all([
      ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: IDS.lniSubnet,
          Description: `LNI for ${IDS.nodeA} <&>"'`,
          ClientToken: 'conformance-sdk-create',
          TagSpecifications: [
            {
              ResourceType: 'network-interface',
              Tags: [
                { Key: 'outposts-node-agent:owner-instance', Value: IDS.nodeA },
                { Key: 'node.k8s.amazonaws.com/no_manage', Value: 'true' },
              ],
            },
          ],
        }),
      ),
      lab.cli([
        'create-network-interface',
        '--subnet-id',
        IDS.lniSubnet,
        '--description',
        `LNI for ${IDS.nodeB}`,
        '--client-token',
        'conformance-cli-create',
        '--tag-specifications',
        `ResourceType=network-interface,Tags=[{Key=outposts-node-agent:owner-instance,Value=${IDS.nodeB}}]`,
      ]),
    ]);
    const cliResult = cliOutput<{ NetworkInterface?: NetworkInterface; ClientToken?: string }>(cliCreated);
    const sdkEni = stateEni(sdkCreated.NetworkInterface?.NetworkInterfaceId);
    const cliEni = stateEni(cliResult.NetworkInterface?.NetworkInterfaceId);
    expect(sdkCreated.ClientToken).toBe('conformance-sdk-create');
    expect(cliResult.ClientToken).toBe('conformance-cli-create');
    expect(eniView(sdkCreated.NetworkInterface)).toEqual(expectedEni(sdkEni));
    expect(eniView(cliResult.NetworkInterface)).toEqual(expectedEni(cliEni));
    expect(sdkEni.description).toBe(`LNI for ${IDS.nodeA} <&>"'`);

    const [sdkSeesCli, cliByTag] = await Promise.all([
      describeEnisSdk([cliEni.networkInterfaceId]),
      lab.cli([
        'describe-network-interfaces',
        '--filters',
        'Name=tag-key,Values=outposts-node-agent:owner-instance',
        'Name=status,Values=available',
      ]),
    ]);
    expect(sdkSeesCli.map(eniView)).toEqual([expectedEni(cliEni)]);
    const tagged = cliOutput<DescribeNetworkInterfacesResult>(cliByTag).NetworkInterfaces ?? [];
    expect(sortById(tagged.map(eniView))).toEqual(sortById([sdkEni, cliEni].map(expectedEni)));
  });

  it('CreateTags and DeleteTags on ENIs, instances and subnets (DeleteTags honours a given value)', async () => {
    const [first, second] = [newEni('tags-1'), newEni('tags-2')];
    await Promise.all([
      ec2.send(
        new CreateTagsCommand({
          Resources: [first.networkInterfaceId, IDS.nodeA],
          Tags: [
            { Key: 'team', Value: 'lab' },
            { Key: 'empty', Value: '' },
          ],
        }),
      ),
      lab.cli([
        'create-tags',
        '--resources',
        second.networkInterfaceId,
        IDS.outpostSubnetB,
        '--tags',
        'Key=team,Value=lab',
        'Key=empty,Value=',
      ]),
    ]).then(([, cli]) => cliOutput(cli));
    for (const tags of [first.tags, second.tags, lab.state.getInstance(IDS.nodeA)?.tags]) {
      expect(tags).toEqual(
        expect.arrayContaining([
          { key: 'team', value: 'lab' },
          { key: 'empty', value: '' },
        ]),
      );
    }
    expect(lab.state.getSubnet(IDS.outpostSubnetB)?.tags).toContainEqual({ key: 'team', value: 'lab' });

    await Promise.all([
      ec2.send(new DeleteTagsCommand({ Resources: [first.networkInterfaceId], Tags: [{ Key: 'team' }] })),
      lab.cli([
        'delete-tags',
        '--resources',
        second.networkInterfaceId,
        '--tags',
        'Key=team,Value=not-the-value',
        'Key=empty,Value=',
      ]),
    ]).then(([, cli]) => cliOutput(cli));
    expect(first.tags).toEqual([{ key: 'empty', value: '' }]);
    expect(second.tags).toEqual([{ key: 'team', value: 'lab' }]);
  });

  it('AttachNetworkInterface: both get the attachment id; the ENI at the subnet LNI index is an LNI', async () => {
    const [forA, forB] = [newEni('attach-a'), newEni('attach-b')];
    const [sdkAttach, cliAttach] = await Promise.all([
      ec2.send(
        new AttachNetworkInterfaceCommand({
          NetworkInterfaceId: forA.networkInterfaceId,
          InstanceId: IDS.nodeA,
          DeviceIndex: 1,
        }),
      ),
      lab.cli([
        'attach-network-interface',
        '--network-interface-id',
        forB.networkInterfaceId,
        '--instance-id',
        IDS.nodeB,
        '--device-index',
        '1',
      ]),
    ]);
    expect(sdkAttach.AttachmentId).toBe(forA.attachment?.attachmentId);
    expect(cliOutput(cliAttach)).toEqual({
      AttachmentId: forB.attachment?.attachmentId,
      NetworkCardIndex: 0,
    });
    expect([lab.state.isLni(forA), lab.state.isLni(forB)]).toEqual([true, true]);
    await lab.state.settled();
    const seen = await describeEnisSdk([forA.networkInterfaceId, forB.networkInterfaceId]);
    expect(sortById(seen.map(eniView))).toEqual(sortById([forA, forB].map(expectedEni)));
    expect([forA, forB].map((e) => [e.status, e.attachment?.status, e.attachment?.deviceIndex])).toEqual([
      ['in-use', 'attached', 1],
      ['in-use', 'attached', 1],
    ]);
  });

  it('ModifyNetworkInterfaceAttribute sets DeleteOnTermination on an attachment; both describe it back', async () => {
    const [forA, forB] = await attachedEnis(2);
    const [, cliModify] = await Promise.all([
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: forA.networkInterfaceId,
          Attachment: { AttachmentId: forA.attachment?.attachmentId, DeleteOnTermination: true },
        }),
      ),
      lab.cli([
        'modify-network-interface-attribute',
        '--network-interface-id',
        forB.networkInterfaceId,
        '--attachment',
        `AttachmentId=${forB.attachment?.attachmentId},DeleteOnTermination=true`,
      ]),
    ]);
    cliOutput(cliModify);
    expect([forA, forB].map((e) => e.attachment?.deleteOnTermination)).toEqual([true, true]);
    const [sdkSees, cliSees] = await Promise.all([
      describeEnisSdk([forA.networkInterfaceId, forB.networkInterfaceId]),
      describeEnisCli([forA.networkInterfaceId, forB.networkInterfaceId]),
    ]);
    const expected = sortById([forA, forB].map(expectedEni));
    expect(sortById(sdkSees.map(eniView))).toEqual(expected);
    expect(sortById(cliSees.map(eniView))).toEqual(expected);
  });

  it('DetachNetworkInterface from both clients: detaching, then available without an attachment', async () => {
    const [forA, forB] = await attachedEnis(3);
    // Long enough that a loaded machine still sees `detaching` right after the call returns.
    lab.state.setTimings({ detachDelayMs: 3000 });
    const cliDetach = lab.cli([
      'detach-network-interface',
      '--attachment-id',
      forB.attachment?.attachmentId ?? '',
    ]);
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: forA.attachment?.attachmentId }));
    expect(forA.attachment?.status).toBe('detaching');
    cliOutput(await cliDetach);
    lab.state.setTimings({ detachDelayMs: 50 });
    await lab.state.settled();
    expect([forA, forB].map((e) => [e.status, e.attachment])).toEqual([
      ['available', undefined],
      ['available', undefined],
    ]);
  });

  it('DeleteNetworkInterface from both clients; the ENIs are then NotFound for both', async () => {
    const [first, second] = [newEni('delete-1'), newEni('delete-2')];
    const deleted = await Promise.all([
      ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: first.networkInterfaceId })),
      lab.cli(['delete-network-interface', '--network-interface-id', second.networkInterfaceId]),
    ]);
    cliOutput(deleted[1]);
    expect(lab.state.getEni(first.networkInterfaceId)).toBeUndefined();
    expect(lab.state.getEni(second.networkInterfaceId)).toBeUndefined();
    const [sdkLookup, cliLookup] = await Promise.allSettled([
      describeEnisSdk([second.networkInterfaceId]),
      lab.cli(['describe-network-interfaces', '--network-interface-ids', first.networkInterfaceId]),
    ]);
    expect(sdkLookup).toMatchObject({
      status: 'rejected',
      reason: { name: 'InvalidNetworkInterfaceID.NotFound' },
    });
    expect(cliLookup).toMatchObject({
      status: 'fulfilled',
      value: { error: { code: 'InvalidNetworkInterfaceID.NotFound' } },
    });
  });

  it('DescribeNetworkInterfaces pages: the SDK paginator and the CLI (--page-size) follow NextToken to every ENI', async () => {
    const seeded = lab.state.seedEnis(23, {
      subnetId: IDS.outpostSubnetB,
      tags: [{ key: 'page', value: 'yes' }],
    });
    const filter = { Name: 'tag:page', Values: ['yes'] };
    const sdkIds: string[] = [];
    const collect = async () => {
      for await (const page of paginateDescribeNetworkInterfaces(
        { client: ec2, pageSize: 5 },
        { Filters: [filter] },
      )) {
        sdkIds.push(...(page.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? ''));
      }
    };
    const [, cli] = await Promise.all([
      collect(),
      lab.cli(['describe-network-interfaces', '--filters', 'Name=tag:page,Values=yes', '--page-size', '5']),
    ]);
    const cliIds = (cliOutput<DescribeNetworkInterfacesResult>(cli).NetworkInterfaces ?? []).map(
      (e) => e.NetworkInterfaceId,
    );
    const expected = seeded.map((e) => e.networkInterfaceId).sort();
    expect([...sdkIds].sort()).toEqual(expected);
    expect([...cliIds].sort()).toEqual(expected);
    const pagedCalls = lab.ec2.handler.calls().filter((c) => c.params.MaxResults === '5');
    expect(pagedCalls).toHaveLength(10);
  });
});
