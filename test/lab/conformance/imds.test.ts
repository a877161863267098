// IMDS endpoint: IMDSv2 token flow as @aws-sdk/ec2-metadata-service uses it, and metadata that follows EC2 state.
import {
  AttachNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2State } from '../ec2/state.ts';
import { INSTANCE_ID_HEADER, startImdsServer } from '../imds/server.ts';
import { conformanceFixture, IDS, OUTPOST_ARN } from './fixture.ts';
import { type LabEndpoints, rawHttp, startLabEndpoints } from './harness.ts';

let lab: LabEndpoints;
let ec2: EC2Client;

beforeAll(async () => {
  lab = await startLabEndpoints({
    fixture: await conformanceFixture(),
    timings: { attachDelayMs: 1_500, detachDelayMs: 200, consistencyDelayMs: 0 },
  });
  ec2 = lab.sdk();
});

afterAll(() => lab.close());

const TOKEN_TTL = 'x-aws-ec2-metadata-token-ttl-seconds';

/** The SDK's IMDS client as the agent configures it: IMDSv2 only, no retries, a timeout. */
const metadataService = (timeout = 2_000) =>
  new MetadataService({
    endpoint: lab.imds.url,
    ec2MetadataV1Disabled: true,
    retries: 0,
    httpOptions: { timeout },
  });

const metadata = (instanceId: string, path: string, service = metadataService()) =>
  service.request(`/latest/${path}`, { headers: { [INSTANCE_ID_HEADER]: instanceId } });

async function newToken(ttl = '60'): Promise<string> {
  const response = await rawHttp(`${lab.imds.url}/latest/api/token`, {
    method: 'PUT',
    headers: { [TOKEN_TTL]: ttl },
  });
  expect(response.status).toBe(200);
  return response.body;
}

const get = (path: string, headers: Record<string, string> = {}) =>
  rawHttp(`${lab.imds.url}/latest/${path}`, { headers: { [INSTANCE_ID_HEADER]: IDS.nodeA, ...headers } });

/** IMDS's view of an instance's interfaces: mac → its per-interface entries. */
async function imdsInterfaces(instanceId: string) {
  const service = metadataService();
  const macs = (await metadata(instanceId, 'meta-data/network/interfaces/macs/', service)).split('\n');
  const entries = [
    'device-number',
    'interface-id',
    'subnet-id',
    'vpc-id',
    'local-ipv4s',
    'subnet-ipv4-cidr-block',
  ];
  return Promise.all(
    macs.map(async (dir) => {
      expect(dir).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}\/$/);
      const values = await Promise.all(
        entries.map((entry) =>
          metadata(instanceId, `meta-data/network/interfaces/macs/${dir}${entry}`, service),
        ),
      );
      return [dir.slice(0, -1), ...values];
    }),
  );
}

/** The same facts from DescribeNetworkInterfaces (attached ENIs of the instance). */
async function ec2Interfaces(instanceId: string) {
  const out = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [
        { Name: 'attachment.instance-id', Values: [instanceId] },
        { Name: 'attachment.status', Values: ['attached'] },
      ],
    }),
  );
  return (out.NetworkInterfaces ?? [])
    .map((eni) => [
      eni.MacAddress,
      String(eni.Attachment?.DeviceIndex),
      eni.NetworkInterfaceId,
      eni.SubnetId,
      eni.VpcId,
      eni.PrivateIpAddress,
      lab.state.getSubnet(eni.SubnetId ?? '')?.cidrBlock,
    ])
    .sort((a, b) => Number(a[1]) - Number(b[1]));
}

describe.concurrent('IMDSv2 token flow', () => {
  it('a GET without a token is 401; the SDK PUTs a token and then reads instance-id with it', async () => {
    expect((await get('meta-data/instance-id')).status).toBe(401);
    expect(await metadata(IDS.nodeB, 'meta-data/instance-id')).toBe(IDS.nodeB);
    const calls = lab.imds.handler.calls().filter((c) => c.instanceId === IDS.nodeB || c.method === 'PUT');
    expect(calls.some((c) => c.method === 'PUT' && c.path === '/latest/api/token' && c.status === 200)).toBe(
      true,
    );
  });

  it('a token PUT needs a TTL of 1..21600 s (else 400) and is refused with X-Forwarded-For (403)', async () => {
    const put = (headers: Record<string, string>) =>
      rawHttp(`${lab.imds.url}/latest/api/token`, { method: 'PUT', headers }).then((r) => r.status);
    expect(await Promise.all([put({}), put({ [TOKEN_TTL]: '0' }), put({ [TOKEN_TTL]: '21601' })])).toEqual([
      400, 400, 400,
    ]);
    expect(await put({ [TOKEN_TTL]: '21600', 'X-Forwarded-For': '10.0.0.1' })).toBe(403);
    const ok = await rawHttp(`${lab.imds.url}/latest/api/token`, {
      method: 'PUT',
      headers: { [TOKEN_TTL]: '5' },
    });
    expect([ok.status, ok.headers[TOKEN_TTL]]).toEqual([200, '5']);
  });

  it('an invalid or expired token is 401', async () => {
    const token = await newToken('1');
    expect((await get('meta-data/instance-id', { 'x-aws-ec2-metadata-token': token })).status).toBe(200);
    expect((await get('meta-data/instance-id', { 'x-aws-ec2-metadata-token': 'not-a-token' })).status).toBe(
      401,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await get('meta-data/instance-id', { 'x-aws-ec2-metadata-token': token })).status).toBe(401);
  });
});

describe('metadata derived from EC2 state', () => {
  it('MACs and device numbers match EC2 after attach (not while attaching) and after detach', async () => {
    const eni = lab.state.createNetworkInterface({ subnetId: IDS.lniSubnet, description: 'imds' }).eni;
    const before = await imdsInterfaces(IDS.nodeA);
    expect(before).toEqual(await ec2Interfaces(IDS.nodeA));
    expect(before).toHaveLength(1);

    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.networkInterfaceId,
        InstanceId: IDS.nodeA,
        DeviceIndex: 1,
      }),
    );
    expect(await imdsInterfaces(IDS.nodeA)).toEqual(before);
    await lab.state.settled();
    const attached = await imdsInterfaces(IDS.nodeA);
    expect(attached).toEqual(await ec2Interfaces(IDS.nodeA));
    expect(attached.map((i) => [i[0], i[1]])).toEqual([
      ...before.map((i) => [i[0], i[1]]),
      [eni.macAddress, '1'],
    ]);

    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    await lab.state.settled();
    expect(await imdsInterfaces(IDS.nodeA)).toEqual(before);
  });

  it('outpost-arn, placement and the identity document; outpost-arn is 404 for an instance in a Region subnet', async () => {
    const service = metadataService();
    const read = (path: string) => metadata(IDS.nodeB, path, service);
    expect(await read('meta-data/outpost-arn')).toBe(OUTPOST_ARN);
    expect(await read('meta-data/placement/region')).toBe('us-west-2');
    expect(await read('meta-data/placement/availability-zone')).toBe('us-west-2a');
    expect(await read('meta-data/placement/availability-zone-id')).toBe('usw2-az1');
    expect(await read('meta-data/local-ipv4')).toBe('10.30.1.12');
    expect(await read('meta-data/mac')).toBe(lab.state.enisOfInstance(IDS.nodeB)[0]?.macAddress);
    expect(JSON.parse(await read('dynamic/instance-identity/document'))).toMatchObject({
      accountId: '123456789012',
      region: 'us-west-2',
      instanceId: IDS.nodeB,
      availabilityZone: 'us-west-2a',
      instanceType: 'c6id.2xlarge',
      imageId: IDS.al2023,
      privateIp: '10.30.1.12',
      architecture: 'x86_64',
    });
    const listing = (await read('meta-data/')).split('\n');
    expect(listing).toEqual(
      expect.arrayContaining(['instance-id', 'mac', 'network/', 'outpost-arn', 'placement/']),
    );
    await expect(metadata(IDS.regionNode, 'meta-data/outpost-arn', service)).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('autoscaling/target-lifecycle-state is 404 until set, then reports the state', async () => {
    const read = () => metadata(IDS.nodeF, 'meta-data/autoscaling/target-lifecycle-state');
    await expect(read()).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    lab.state.setTargetLifecycleState(IDS.nodeF, 'Terminated');
    expect(await read()).toBe('Terminated');
    lab.state.setTargetLifecycleState(IDS.nodeF, undefined);
  });
});

describe('IMDS options and faults', () => {
  it('with IMDSv1 allowed (HttpTokens optional) a token-less GET works; an invalid token is still 401', async () => {
    lab.imds.handler.setImdsV1Allowed(true);
    try {
      expect(await get('meta-data/instance-id')).toMatchObject({ status: 200, body: IDS.nodeA });
      expect((await get('meta-data/instance-id', { 'x-aws-ec2-metadata-token': 'bogus' })).status).toBe(401);
    } finally {
      lab.imds.handler.setImdsV1Allowed(false);
    }
  });

  it('fault "unauthorized" answers GETs 401 while tokens are still issued', async () => {
    lab.imds.handler.faults.set({
      kind: 'unauthorized',
      paths: ['/latest/meta-data/instance-type'],
      times: 1,
    });
    await expect(metadata(IDS.nodeA, 'meta-data/instance-type')).rejects.toMatchObject({
      $metadata: { httpStatusCode: 401 },
    });
    expect(await metadata(IDS.nodeA, 'meta-data/instance-type')).toBe('c6id.2xlarge');
  });

  it('fault "hang" never answers (the SDK times out); "latency" delays the answer', async () => {
    lab.imds.handler.faults.set({ kind: 'hang', paths: ['/latest/meta-data/ami-id'] });
    await expect(metadata(IDS.nodeA, 'meta-data/ami-id', metadataService(300))).rejects.toThrow();
    lab.imds.handler.faults.set({ kind: 'latency', latencyMs: 400, paths: ['/latest/meta-data/ami-id'] });
    const started = performance.now();
    expect(await metadata(IDS.nodeA, 'meta-data/ami-id')).toBe(IDS.al2023);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    lab.imds.handler.faults.clear();
  });
});

describe('callers are told apart by source address', () => {
  it("answers with the instance whose primary IP is the caller's address", async () => {
    const state = new Ec2State({
      fixture: {
        subnets: [{ subnetId: 'subnet-0000000000000aaa1', cidrBlock: '127.0.77.0/24' }],
        instances: [
          { instanceId: 'i-0000000000000aaa1', privateIpAddress: '127.0.77.21' },
          { instanceId: 'i-0000000000000aaa2', privateIpAddress: '127.0.77.22' },
        ],
      },
    });
    const imds = await startImdsServer({ state, imdsV1Allowed: true });
    try {
      const from = (localAddress: string) =>
        rawHttp(`${imds.url}/latest/meta-data/instance-id`, { localAddress }).then((r) => r.body);
      expect(await Promise.all([from('127.0.77.22'), from('127.0.77.21')])).toEqual([
        'i-0000000000000aaa2',
        'i-0000000000000aaa1',
      ]);
      expect(imds.handler.calls().map((c) => c.source)).toEqual(
        expect.arrayContaining(['127.0.77.21', '127.0.77.22']),
      );
    } finally {
      await imds.close();
      state.dispose();
    }
  });
});
