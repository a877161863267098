// Lab fixtures: loading one from JSON and filling in what it leaves out (account, region, VPC, outpost subnet, AMI).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LabFixture, LabImage, LabInstance, LabSubnet } from '../types.ts';

export const DEFAULT_ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-west-2';
export const DEFAULT_OUTPOST_ID = 'op-0123456789abcdef0';
export const DEFAULT_FIXTURE_PATH = fileURLToPath(new URL('../fixtures/default.json', import.meta.url));

export const outpostArn = (region: string, accountId: string, outpostId = DEFAULT_OUTPOST_ID): string =>
  `arn:aws:outposts:${region}:${accountId}:outpost/${outpostId}`;

export async function loadFixture(path: string): Promise<LabFixture> {
  return JSON.parse(await readFile(path, 'utf8')) as LabFixture;
}

/** A fixture with every list filled in, except ENI-level details the state allocates (IPs, MACs). */
export interface ResolvedFixture {
  accountId: string;
  region: string;
  vpcs: { vpcId: string; cidrBlock: string }[];
  subnets: LabSubnet[];
  images: LabImage[];
  /** Instances without a privateIpAddress get one allocated from their subnet. */
  instances: (Omit<LabInstance, 'privateIpAddress'> & { privateIpAddress?: string })[];
  enis: NonNullable<LabFixture['enis']>;
}

/** `us-west-2` + `a` → `usw2-az1`: the shape of an AZ id (the real mapping differs per account). */
export function availabilityZoneIdFor(availabilityZone: string): string | undefined {
  const match = /^([a-z]+)-([a-z]+)-(\d+)([a-z])$/.exec(availabilityZone);
  if (!match) return undefined;
  const [, area = '', direction = '', number = '', letter = 'a'] = match;
  return `${area}${direction[0]}${number}-az${letter.charCodeAt(0) - 96}`;
}

function resolveSubnets(fixture: LabFixture, ctx: FixtureContext): LabSubnet[] {
  const specs = fixture.subnets ?? [
    { outpostArn: outpostArn(ctx.region, ctx.accountId), enableLniAtDeviceIndex: 1 },
  ];
  return specs.map((spec, i) => {
    const availabilityZone = spec.availabilityZone ?? `${ctx.region}a`;
    return {
      subnetId: spec.subnetId ?? `subnet-0${(i + 1).toString(16).padStart(16, '0')}`,
      vpcId: spec.vpcId ?? ctx.defaultVpcId,
      cidrBlock: spec.cidrBlock ?? `10.20.${i + 1}.0/24`,
      availabilityZone,
      availabilityZoneId: spec.availabilityZoneId ?? availabilityZoneIdFor(availabilityZone),
      outpostArn: spec.outpostArn,
      enableLniAtDeviceIndex: spec.enableLniAtDeviceIndex,
      ownerId: spec.ownerId ?? ctx.accountId,
      tags: spec.tags ?? [],
    };
  });
}

const DEFAULT_IMAGE: LabImage = {
  imageId: 'ami-0a1b2c3d4e5f60001',
  name: 'amazon-eks-node-al2023-x86_64-standard-1.31-v20250101',
  blockDeviceMappings: [{ deviceName: '/dev/xvda', snapshotId: 'snap-0a1b2c3d4e5f60001' }],
  architecture: 'x86_64',
  platformDetails: 'Linux/UNIX',
};

function resolveImages(fixture: LabFixture): LabImage[] {
  return (fixture.images ?? [DEFAULT_IMAGE]).map((spec, i) => ({
    imageId: spec.imageId ?? `ami-0${(i + 1).toString(16).padStart(16, '0')}`,
    name: spec.name ?? `lab-image-${i + 1}`,
    blockDeviceMappings: spec.blockDeviceMappings ?? DEFAULT_IMAGE.blockDeviceMappings,
    architecture: spec.architecture ?? 'x86_64',
    platformDetails: spec.platformDetails ?? 'Linux/UNIX',
  }));
}

interface FixtureContext {
  accountId: string;
  region: string;
  defaultVpcId: string;
}

function resolveInstances(
  fixture: LabFixture,
  subnets: LabSubnet[],
  images: LabImage[],
): ResolvedFixture['instances'] {
  return (fixture.instances ?? []).map((spec, i) => {
    const subnet = subnets.find((s) => s.subnetId === (spec.subnetId ?? subnets[0]?.subnetId));
    if (!subnet) throw new Error(`fixture instance ${i}: unknown subnet ${spec.subnetId}`);
    const imageId = spec.imageId ?? images[0]?.imageId;
    if (!imageId) throw new Error(`fixture instance ${i}: no image`);
    return {
      instanceId: spec.instanceId ?? `i-0${(i + 1).toString(16).padStart(16, '0')}`,
      imageId,
      instanceType: spec.instanceType ?? 'c6id.2xlarge',
      subnetId: subnet.subnetId,
      privateIpAddress: spec.privateIpAddress,
      state: spec.state ?? 'running',
      launchTime: spec.launchTime ?? new Date().toISOString(),
      availabilityZone: spec.availabilityZone ?? subnet.availabilityZone,
      tags: spec.tags ?? [],
      targetLifecycleState: spec.targetLifecycleState,
    };
  });
}

export function resolveFixture(fixture: LabFixture = {}): ResolvedFixture {
  const accountId = fixture.accountId ?? DEFAULT_ACCOUNT_ID;
  const region = fixture.region ?? DEFAULT_REGION;
  const vpcs = fixture.vpcs ?? [{ vpcId: 'vpc-0a1b2c3d4e5f60001', cidrBlock: '10.20.0.0/16' }];
  const ctx = { accountId, region, defaultVpcId: vpcs[0]?.vpcId ?? 'vpc-0a1b2c3d4e5f60001' };
  const subnets = resolveSubnets(fixture, ctx);
  for (const subnet of subnets) {
    if (subnet.enableLniAtDeviceIndex !== undefined && subnet.enableLniAtDeviceIndex < 1) {
      throw new Error(`fixture subnet ${subnet.subnetId}: an LNI can never be at device index 0`);
    }
  }
  const images = resolveImages(fixture);
  return {
    accountId,
    region,
    vpcs,
    subnets,
    images,
    instances: resolveInstances(fixture, subnets, images),
    enis: fixture.enis ?? [],
  };
}

/** A /18 subnet in the default fixture's VPC, for seeding thousands of ENIs (sweep tests and benchmarks). */
export const BULK_SUBNET = 'subnet-0a1b2c3d4e5f6b0b1';

/** The default fixture plus BULK_SUBNET. */
export async function fixtureWithBulkSubnet(): Promise<LabFixture> {
  const fixture = await loadFixture(DEFAULT_FIXTURE_PATH);
  fixture.subnets?.push({
    subnetId: BULK_SUBNET,
    vpcId: fixture.vpcs?.[0]?.vpcId,
    cidrBlock: '10.20.64.0/18',
    availabilityZone: 'us-west-2a',
  });
  return fixture;
}
