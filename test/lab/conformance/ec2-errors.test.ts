// EC2 error answers (envelope, code, message, HTTP status) as @aws-sdk/client-ec2 and the AWS CLI v2 parse them.
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceFixture, IDS } from './fixture.ts';
import { type ApiError, type LabEndpoints, sdkError, startLabEndpoints } from './harness.ts';

let lab: LabEndpoints;
let ec2: EC2Client;

beforeAll(async () => {
  lab = await startLabEndpoints({
    fixture: await conformanceFixture(),
    timings: { attachDelayMs: 20, detachDelayMs: 20, consistencyDelayMs: 0 },
  });
  ec2 = lab.sdk();
});

afterAll(() => lab.close());

/** Runs the same failing request through both clients and returns what each parsed. */
async function bothFail(sdkCall: () => Promise<unknown>, cliArgs: string[]): Promise<[ApiError, ApiError]> {
  const [sdk, cli] = await Promise.all([sdkError(sdkCall()), lab.cli(cliArgs)]);
  expect(cli.exitCode, cli.stderr).toBe(254);
  if (!cli.error) throw new Error(`the CLI printed no parsable error: ${cli.stderr}`);
  return [sdk, cli.error];
}

function expectError(
  [sdk, cli]: [ApiError, ApiError],
  code: string,
  status: number,
  message: string | RegExp,
): void {
  expect(sdk).toMatchObject({ code, status });
  expect(cli.code).toBe(code);
  for (const parsed of [sdk.message, cli.message]) {
    if (typeof message === 'string') expect(parsed).toBe(message);
    else expect(parsed).toMatch(message);
  }
}

const newEni = () => lab.state.createNetworkInterface({ subnetId: IDS.lniSubnet }).eni;

describe.concurrent('client errors', () => {
  it('InvalidNetworkInterfaceID.NotFound (400) for an unknown ENI id', async () => {
    const missing = 'eni-0123456789abcdef0';
    const errors = await bothFail(
      () => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [missing] })),
      ['describe-network-interfaces', '--network-interface-ids', missing],
    );
    expectError(
      errors,
      'InvalidNetworkInterfaceID.NotFound',
      400,
      `The networkInterface ID '${missing}' does not exist`,
    );
  });

  it('DryRunOperation (412) for a permitted call with DryRun, and nothing is created', async () => {
    const inRegionSubnet = () => lab.state.allEnis().filter((e) => e.subnetId === IDS.regionSubnet).length;
    const before = inRegionSubnet();
    const errors = await bothFail(
      () => ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: IDS.regionSubnet, DryRun: true })),
      ['create-network-interface', '--subnet-id', IDS.regionSubnet, '--dry-run'],
    );
    expectError(errors, 'DryRunOperation', 412, 'Request would have succeeded, but DryRun flag is set.');
    expect(inRegionSubnet()).toBe(before);
  });

  it('UnauthorizedOperation (403) naming the action, with and without DryRun, when the action is denied', async () => {
    lab.state.deny('CreateTags');
    try {
      const eni = newEni();
      const tagRequest = { Resources: [eni.networkInterfaceId], Tags: [{ Key: 'a', Value: 'b' }] };
      const [errors, dryRun] = await Promise.all([
        bothFail(
          () => ec2.send(new CreateTagsCommand(tagRequest)),
          ['create-tags', '--resources', eni.networkInterfaceId, '--tags', 'Key=a,Value=b'],
        ),
        sdkError(ec2.send(new CreateTagsCommand({ ...tagRequest, DryRun: true }))),
      ]);
      expectError(errors, 'UnauthorizedOperation', 403, /not authorized to perform: ec2:CreateTags/);
      expect(dryRun).toMatchObject({ code: 'UnauthorizedOperation', status: 403 });
      expect(eni.tags).toEqual([]);
    } finally {
      lab.state.allow('CreateTags');
    }
  });

  it('InvalidParameterValue "currently in use" when deleting an attached ENI', async () => {
    const eni = newEni();
    lab.state.attachNetworkInterface({
      networkInterfaceId: eni.networkInterfaceId,
      instanceId: IDS.nodeA,
      deviceIndex: 1,
    });
    const errors = await bothFail(
      () => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.networkInterfaceId })),
      ['delete-network-interface', '--network-interface-id', eni.networkInterfaceId],
    );
    expectError(
      errors,
      'InvalidParameterValue',
      400,
      `Network interface '${eni.networkInterfaceId}' is currently in use.`,
    );
    expect(lab.state.getEni(eni.networkInterfaceId)).toBe(eni);
  });

  it('InvalidParameterValue for a device index in use and InvalidNetworkInterface.InUse for an attached ENI', async () => {
    const [free, attached] = [newEni(), newEni()];
    lab.state.attachNetworkInterface({
      networkInterfaceId: attached.networkInterfaceId,
      instanceId: IDS.nodeB,
      deviceIndex: 2,
    });
    const [indexTaken, eniTaken] = await Promise.all([
      bothFail(
        () =>
          ec2.send(
            new AttachNetworkInterfaceCommand({
              NetworkInterfaceId: free.networkInterfaceId,
              InstanceId: IDS.nodeB,
              DeviceIndex: 0,
            }),
          ),
        [
          'attach-network-interface',
          '--network-interface-id',
          free.networkInterfaceId,
          '--instance-id',
          IDS.nodeB,
          '--device-index',
          '0',
        ],
      ),
      bothFail(
        () =>
          ec2.send(
            new AttachNetworkInterfaceCommand({
              NetworkInterfaceId: attached.networkInterfaceId,
              InstanceId: IDS.nodeA,
              DeviceIndex: 3,
            }),
          ),
        [
          'attach-network-interface',
          '--network-interface-id',
          attached.networkInterfaceId,
          '--instance-id',
          IDS.nodeA,
          '--device-index',
          '3',
        ],
      ),
    ]);
    expectError(
      indexTaken,
      'InvalidParameterValue',
      400,
      `Instance '${IDS.nodeB}' already has an interface attached at device index '0'.`,
    );
    expectError(
      eniTaken,
      'InvalidNetworkInterface.InUse',
      400,
      `Interface: [${attached.networkInterfaceId}] in use.`,
    );
  });

  it('OperationNotPermitted when detaching the primary ENI (device index 0)', async () => {
    const primary = lab.state.enisOfInstance(IDS.nodeF)[0];
    const attachmentId = primary?.attachment?.attachmentId ?? '';
    const errors = await bothFail(
      () => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId })),
      ['detach-network-interface', '--attachment-id', attachmentId],
    );
    expectError(
      errors,
      'OperationNotPermitted',
      400,
      'The network interface at device index 0 and networkCard index 0 cannot be detached.',
    );
  });

  it('IdempotentParameterMismatch when a ClientToken is reused with other parameters', async () => {
    const token = 'conformance-mismatch-token';
    lab.state.createNetworkInterface({ subnetId: IDS.lniSubnet, description: 'first', clientToken: token });
    const errors = await bothFail(
      () =>
        ec2.send(
          new CreateNetworkInterfaceCommand({
            SubnetId: IDS.lniSubnet,
            Description: 'second',
            ClientToken: token,
          }),
        ),
      [
        'create-network-interface',
        '--subnet-id',
        IDS.lniSubnet,
        '--description',
        'second',
        '--client-token',
        token,
      ],
    );
    expectError(errors, 'IdempotentParameterMismatch', 400, /client token/);
  });
});

describe.concurrent('throttling and server errors (one attempt per client)', () => {
  it.each([
    ['throttle', 'DescribeSubnets', 'RequestLimitExceeded', 503, 'Request limit exceeded.'],
    ['server-error', 'DescribeImages', 'InternalError', 500, 'An internal error has occurred'],
    [
      'unavailable',
      'DescribeInstances',
      'Unavailable',
      503,
      'The server is overloaded and cannot handle the request.',
    ],
  ] as const)('%s on %s → %s (HTTP %i)', async (kind, action, code, status, message) => {
    lab.ec2.handler.faults.add({ action, kind, times: 2 });
    const sdkCall = {
      DescribeSubnets: () => ec2.send(new DescribeSubnetsCommand({})),
      DescribeImages: () => ec2.send(new DescribeImagesCommand({})),
      DescribeInstances: () => ec2.send(new DescribeInstancesCommand({})),
    }[action];
    const cliCommand = {
      DescribeSubnets: 'describe-subnets',
      DescribeImages: 'describe-images',
      DescribeInstances: 'describe-instances',
    }[action];
    const errors = await bothFail(sdkCall, [cliCommand]);
    expectError(errors, code, status, message);
    expect(lab.ec2.handler.faults.rules().filter((r) => r.rule.action === action)).toEqual([]);
  });
});
