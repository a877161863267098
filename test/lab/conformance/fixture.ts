// The conformance suite's lab: outpost subnets (one with LNI at 1), a Region subnet, seven instances, two AMIs.
import { DEFAULT_FIXTURE_PATH, loadFixture } from '../ec2/fixture.ts';
import type { LabFixture } from '../types.ts';

export const OUTPOST_ARN = 'arn:aws:outposts:us-west-2:123456789012:outpost/op-0123456789abcdef0';

export const IDS = {
  vpc: 'vpc-0c000000000000001',
  lniSubnet: 'subnet-0c000000000000001',
  outpostSubnetB: 'subnet-0c000000000000002',
  outpostSubnetC: 'subnet-0c000000000000003',
  regionSubnet: 'subnet-0c000000000000004',
  nodeA: 'i-0c0000000000000a1',
  nodeB: 'i-0c0000000000000b1',
  nodeC: 'i-0c0000000000000c1',
  nodeD: 'i-0c0000000000000d1',
  regionNode: 'i-0c0000000000000e1',
  nodeF: 'i-0c0000000000000f1',
  nodeG: 'i-0c0000000000000f2',
  al2023: 'ami-0a1b2c3d4e5f60001',
  bottlerocket: 'ami-0a1b2c3d4e5f60002',
} as const;

const outpostSubnet = (subnetId: string, third: number, lni?: number) => ({
  subnetId,
  vpcId: IDS.vpc,
  cidrBlock: `10.30.${third}.0/24`,
  availabilityZone: 'us-west-2a',
  outpostArn: OUTPOST_ARN,
  enableLniAtDeviceIndex: lni,
  tags: [{ key: 'Name', value: `conf-subnet-${third}` }],
});

const node = (instanceId: string, subnetId: string, privateIpAddress: string, name: string) => ({
  instanceId,
  subnetId,
  privateIpAddress,
  imageId: IDS.al2023,
  tags: [{ key: 'Name', value: name }],
});

export async function conformanceFixture(): Promise<LabFixture> {
  const { images } = await loadFixture(DEFAULT_FIXTURE_PATH);
  return {
    vpcs: [{ vpcId: IDS.vpc, cidrBlock: '10.30.0.0/16' }],
    subnets: [
      outpostSubnet(IDS.lniSubnet, 1, 1),
      outpostSubnet(IDS.outpostSubnetB, 2),
      outpostSubnet(IDS.outpostSubnetC, 3),
      {
        subnetId: IDS.regionSubnet,
        vpcId: IDS.vpc,
        cidrBlock: '10.30.4.0/24',
        availabilityZone: 'us-west-2b',
      },
    ],
    images,
    instances: [
      node(IDS.nodeA, IDS.lniSubnet, '10.30.1.11', 'conf-a'),
      node(IDS.nodeB, IDS.lniSubnet, '10.30.1.12', 'conf-b'),
      node(IDS.nodeC, IDS.lniSubnet, '10.30.1.13', 'conf-c'),
      node(IDS.nodeD, IDS.lniSubnet, '10.30.1.14', 'conf-d'),
      node(IDS.regionNode, IDS.regionSubnet, '10.30.4.11', 'region-e'),
      node(IDS.nodeF, IDS.lniSubnet, '10.30.1.15', 'conf-f'),
      node(IDS.nodeG, IDS.lniSubnet, '10.30.1.16', 'conf-g'),
    ],
  };
}
