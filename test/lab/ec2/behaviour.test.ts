// EC2 behaviours the agent must cope with, each tested so that an endpoint skipping it would fail.
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceFixture, IDS } from '../conformance/fixture.ts';
import { eventually, type LabEndpoints, sdkError, startLabEndpoints } from '../conformance/harness.ts';
import type { HotPlug, LabTimings } from '../types.ts';

const labs: LabEndpoints[] = [];

async function newLab(timings: Partial<LabTimings>, hotPlug?: HotPlug): Promise<LabEndpoints> {
  const lab = await startLabEndpoints({
    fixture: await conformanceFixture(),
    timings,
    hotPlug,
    terminateDelayMs: 100,
  });
  labs.push(lab);
  return lab;
}

afterAll(() => Promise.all(labs.map((lab) => lab.close())));

const describeEni = async (ec2: EC2Client, id: string): Promise<NetworkInterface | undefined> =>
  (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
    .NetworkInterfaces?.[0];

const createEni = async (ec2: EC2Client, description: string, subnetId: string = IDS.lniSubnet) => {
  const { NetworkInterface } = await ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Description: description }),
  );
  return NetworkInterface?.NetworkInterfaceId ?? '';
};

describe.concurrent('eventual consistency', () => {
  it('a new ENI is NotFound by id (Describe, Attach, Modify, CreateTags) and missing from lists until the window passes', async () => {
    const lab = await newLab({ consistencyDelayMs: 1_500 });
    const ec2 = lab.sdk();
    const started = Date.now();
    const id = await createEni(ec2, 'fresh');
    const notFound = {
      code: 'InvalidNetworkInterfaceID.NotFound',
      message: `The networkInterface ID '${id}' does not exist`,
    };
    const attempts = await Promise.all([
      sdkError(describeEni(ec2, id)),
      sdkError(
        ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: id,
            InstanceId: IDS.nodeA,
            DeviceIndex: 1,
          }),
        ),
      ),
      sdkError(
        ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Description: { Value: 'x' } }),
        ),
      ),
      sdkError(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] }))),
    ]);
    for (const attempt of attempts) expect(attempt).toMatchObject(notFound);
    const listed = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [IDS.lniSubnet] }] }),
    );
    expect(listed.NetworkInterfaces?.map((e) => e.NetworkInterfaceId)).not.toContain(id);

    const found = await eventually(() => describeEni(ec2, id).catch(() => undefined));
    expect(found.NetworkInterfaceId).toBe(id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] }));
  });
});

describe.concurrent('attachment and detachment delays', () => {
  it('attach answers at once with the attachment "attaching"; it is "attached" only after attachDelayMs', async () => {
    const lab = await newLab({ attachDelayMs: 1_500, detachDelayMs: 1_000, consistencyDelayMs: 0 });
    const ec2 = lab.sdk();
    const id = await createEni(ec2, 'slow attach');
    const started = Date.now();
    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: IDS.nodeA, DeviceIndex: 1 }),
    );
    expect(await describeEni(ec2, id)).toMatchObject({
      Status: 'in-use',
      Attachment: { Status: 'attaching' },
    });
    await eventually(async () =>
      (await describeEni(ec2, id))?.Attachment?.Status === 'attached' ? true : undefined,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);

    const detachStarted = Date.now();
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    expect(await describeEni(ec2, id)).toMatchObject({ Attachment: { Status: 'detaching' } });
    const detached = await eventually(async () => {
      const eni = await describeEni(ec2, id);
      return eni?.Status === 'available' ? eni : undefined;
    });
    expect(detached.Attachment).toBeUndefined();
    expect(Date.now() - detachStarted).toBeGreaterThanOrEqual(1_000);
  });

  it('an attachment waits for the hot-plug hook, which learns whether it is an LNI; hook failures are recorded', async () => {
    const events: string[] = [];
    let failNext = false;
    const hotPlug: HotPlug = {
      attach: async ({ eni, deviceIndex, isLni }) => {
        events.push(`attach ${eni.networkInterfaceId} ${deviceIndex} lni=${isLni}`);
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        if (failNext) throw new Error('veth creation failed');
      },
      detach: async ({ eni, isLni }) => {
        events.push(`detach ${eni.networkInterfaceId} lni=${isLni}`);
      },
    };
    const lab = await newLab({ attachDelayMs: 100, detachDelayMs: 100, consistencyDelayMs: 0 }, hotPlug);
    const ec2 = lab.sdk();
    const [lni, plain] = [await createEni(ec2, 'lni'), await createEni(ec2, 'plain')];
    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: lni, InstanceId: IDS.nodeB, DeviceIndex: 1 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await describeEni(ec2, lni))?.Attachment?.Status).toBe('attaching');
    await lab.state.settled();
    expect((await describeEni(ec2, lni))?.Attachment?.Status).toBe('attached');

    failNext = true;
    await ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: plain, InstanceId: IDS.nodeB, DeviceIndex: 2 }),
    );
    await lab.state.settled();
    expect((await describeEni(ec2, plain))?.Attachment?.Status).toBe('attached');
    expect(lab.state.hotPlugFailures()).toEqual([
      { phase: 'attach', networkInterfaceId: plain, instanceId: IDS.nodeB, error: 'veth creation failed' },
    ]);

    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    await lab.state.settled();
    expect(events).toEqual([
      `attach ${lni} 1 lni=true`,
      `attach ${plain} 2 lni=false`,
      `detach ${lni} lni=true`,
    ]);
  });
});

describe.concurrent('throttling', () => {
  it('the SDK with default retries rides out two RequestLimitExceeded (503); with maxAttempts 1 it fails with it', async () => {
    const lab = await newLab({});
    lab.ec2.handler.faults.add({ action: 'DescribeSubnets', kind: 'throttle', times: 2 });
    const out = await lab
      .sdk({ maxAttempts: 3 })
      .send(new DescribeSubnetsCommand({ SubnetIds: [IDS.lniSubnet] }));
    expect(out.$metadata.attempts).toBe(3);
    expect(out.Subnets?.[0]?.EnableLniAtDeviceIndex).toBe(1);
    const answers = lab.ec2.handler.calls().map((c) => [c.action, c.status, c.errorCode]);
    expect(answers).toEqual([
      ['DescribeSubnets', 503, 'RequestLimitExceeded'],
      ['DescribeSubnets', 503, 'RequestLimitExceeded'],
      ['DescribeSubnets', 200, undefined],
    ]);

    lab.ec2.handler.faults.add({ action: '*', kind: 'throttle', times: 1 });
    expect(await sdkError(lab.sdk({ maxAttempts: 1 }).send(new DescribeSubnetsCommand({})))).toMatchObject({
      code: 'RequestLimitExceeded',
      status: 503,
    });
  });

  it('a rule with probability 0 never fires; latency rules delay every matching answer', async () => {
    const lab = await newLab({});
    const ec2 = lab.sdk();
    lab.ec2.handler.faults.add({ action: '*', kind: 'server-error', probability: 0 });
    lab.ec2.handler.faults.add({ action: 'DescribeSubnets', kind: 'latency', latencyMs: 300 });
    const started = performance.now();
    await ec2.send(new DescribeSubnetsCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(lab.ec2.handler.calls().at(-1)?.durationMs).toBeGreaterThanOrEqual(290);
  });
});

describe.concurrent('ClientToken idempotency', () => {
  it('the same token with the same parameters returns the same ENI; only one exists', async () => {
    const lab = await newLab({ consistencyDelayMs: 0 });
    const ec2 = lab.sdk();
    const request = { SubnetId: IDS.lniSubnet, Description: 'idempotent', ClientToken: 'same-token' };
    const first = await ec2.send(new CreateNetworkInterfaceCommand(request));
    const second = await ec2.send(new CreateNetworkInterfaceCommand(request));
    expect(second.NetworkInterface?.NetworkInterfaceId).toBe(first.NetworkInterface?.NetworkInterfaceId);
    expect(lab.state.allEnis().filter((e) => e.description === 'idempotent')).toHaveLength(1);
    expect(
      await sdkError(ec2.send(new CreateNetworkInterfaceCommand({ ...request, Description: 'other' }))),
    ).toMatchObject({ code: 'IdempotentParameterMismatch', status: 400 });
  });

  it('a create whose answer is lost (client timeout) and retried by the SDK with its token yields one ENI', async () => {
    const lab = await newLab({ consistencyDelayMs: 0 });
    lab.ec2.handler.faults.add({
      action: 'CreateNetworkInterface',
      kind: 'latency',
      latencyMs: 1_500,
      times: 1,
    });
    const ec2 = lab.sdk({ maxAttempts: 2, requestTimeoutMs: 400 });
    const out = await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: IDS.lniSubnet, Description: 'lost answer' }),
    );
    expect(out.$metadata.attempts).toBe(2);
    const created = lab.state.allEnis().filter((e) => e.description === 'lost answer');
    expect(created.map((e) => e.networkInterfaceId)).toEqual([out.NetworkInterface?.NetworkInterfaceId]);
    const tokens = lab.ec2.handler.calls().map((c) => c.params.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });
});

describe.concurrent('termination and deletion', () => {
  it('terminating an instance deletes ENIs with DeleteOnTermination, leaves the others available, unplugs them', async () => {
    const unplugged: string[] = [];
    const hotPlug: HotPlug = {
      attach: async () => {},
      detach: async ({ eni }) => {
        unplugged.push(eni.networkInterfaceId);
      },
    };
    const lab = await newLab({ attachDelayMs: 0, consistencyDelayMs: 0 }, hotPlug);
    const ec2 = lab.sdk();
    const [doomed, kept] = [await createEni(ec2, 'doomed'), await createEni(ec2, 'kept')];
    for (const [id, deviceIndex] of [
      [doomed, 1],
      [kept, 2],
    ] as const) {
      const { AttachmentId } = await ec2.send(
        new AttachNetworkInterfaceCommand({
          NetworkInterfaceId: id,
          InstanceId: IDS.nodeC,
          DeviceIndex: deviceIndex,
        }),
      );
      if (id === doomed) {
        await ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: id,
            Attachment: { AttachmentId, DeleteOnTermination: true },
          }),
        );
      }
    }
    const primary = lab.state.enisOfInstance(IDS.nodeC)[0]?.networkInterfaceId ?? '';
    await lab.state.settled();
    lab.state.terminateInstance(IDS.nodeC);
    expect(lab.state.getInstance(IDS.nodeC)?.state).toBe('shutting-down');
    await lab.state.settled();
    expect(lab.state.getInstance(IDS.nodeC)?.state).toBe('terminated');
    for (const gone of [doomed, primary]) {
      expect(await sdkError(describeEni(ec2, gone))).toMatchObject({
        code: 'InvalidNetworkInterfaceID.NotFound',
      });
    }
    const survivor = await describeEni(ec2, kept);
    expect([survivor?.Status, survivor?.Attachment]).toEqual(['available', undefined]);
    expect(unplugged.sort()).toEqual([doomed, kept].sort());
  });

  it('an attached ENI cannot be deleted; detached, it can, and is NotFound afterwards', async () => {
    const lab = await newLab({ attachDelayMs: 0, detachDelayMs: 0, consistencyDelayMs: 0 });
    const ec2 = lab.sdk();
    const id = await createEni(ec2, 'delete me');
    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: IDS.nodeD, DeviceIndex: 1 }),
    );
    expect(
      await sdkError(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }))),
    ).toMatchObject({
      code: 'InvalidParameterValue',
      message: `Network interface '${id}' is currently in use.`,
    });
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    await lab.state.settled();
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }));
    expect(await sdkError(describeEni(ec2, id))).toMatchObject({
      code: 'InvalidNetworkInterfaceID.NotFound',
    });
    expect(
      await sdkError(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id }))),
    ).toMatchObject({
      code: 'InvalidNetworkInterfaceID.NotFound',
    });
  });
});

describe.concurrent('LNI and attachment rules', () => {
  let lab: LabEndpoints;
  let ec2: EC2Client;
  beforeAll(async () => {
    lab = await newLab({ attachDelayMs: 0, consistencyDelayMs: 0 });
    ec2 = lab.sdk();
  });

  const attach = (id: string, instanceId: string, deviceIndex: number) =>
    ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: id,
        InstanceId: instanceId,
        DeviceIndex: deviceIndex,
      }),
    );

  it('only one LNI per instance: a second ENI at another subnet LNI index is refused', async () => {
    lab.state.modifySubnetAttribute({ subnetId: IDS.outpostSubnetC, enableLniAtDeviceIndex: 2 });
    const [first, second] = [
      await createEni(ec2, 'lni-1'),
      await createEni(ec2, 'lni-2', IDS.outpostSubnetC),
    ];
    await attach(first, IDS.nodeF, 1);
    expect(await sdkError(attach(second, IDS.nodeF, 2))).toMatchObject({
      code: 'InvalidParameterValue',
      message: expect.stringContaining('already has a local network interface'),
    });
  });

  it('a device index in use, a different AZ and a non-running instance are refused', async () => {
    const [a, b] = [await createEni(ec2, 'idx-a'), await createEni(ec2, 'idx-b')];
    expect(await sdkError(attach(a, IDS.nodeG, 0))).toMatchObject({
      code: 'InvalidParameterValue',
      message: `Instance '${IDS.nodeG}' already has an interface attached at device index '0'.`,
    });
    expect(await sdkError(attach(a, IDS.regionNode, 1))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
    lab.state.terminateInstance(IDS.nodeD);
    expect(await sdkError(attach(b, IDS.nodeD, 1))).toMatchObject({ code: 'IncorrectInstanceState' });
  });

  it('EnableLniAtDeviceIndex needs an outpost subnet and an index ≥ 1', async () => {
    expect(() =>
      lab.state.modifySubnetAttribute({ subnetId: IDS.regionSubnet, enableLniAtDeviceIndex: 1 }),
    ).toThrow(/not on an Outpost/);
    expect(() =>
      lab.state.modifySubnetAttribute({ subnetId: IDS.outpostSubnetB, enableLniAtDeviceIndex: 0 }),
    ).toThrow(/EnableLniAtDeviceIndex/);
  });
});
