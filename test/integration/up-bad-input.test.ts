// Bad input: invalid config exits 2 before any IMDS/EC2 call or host change; an environment that cannot host an LNI exits 11 before any mutating call.
import { ModifySubnetAttributeCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_PATH, loadFixture } from '../lab/ec2/fixture.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { LAB_ADDRS } from '../lab/net/index.ts';
import { callsFrom, hostSnapshot, lastSeq, mutating, staticConfig } from './helpers.ts';

const OUTPOST_SUBNET = 'subnet-0a1b2c3d4e5f60001';
const REGION_SUBNET = 'subnet-0a1b2c3d4e5f60009';
const MISSING_SUBNET = 'subnet-0ffffffffffff0042';
/** Node 3's instance lives in a Region subnet (no OutpostArn), so IMDS has no outpost-arn for it. */
const REGION_INSTANCE = 'i-0a1b2c3d4e5f60009';

const good = staticConfig('192.0.2.41');
const BAD_CONFIGS: { name: string; config: Record<string, unknown>; key: string; value: string }[] = [
  {
    name: 'a bad CIDR in routes.onPrem',
    config: staticConfig('192.0.2.41', { routes: { onPrem: ['198.51.100.0/33'] } }),
    key: 'routes.onPrem',
    value: '"198.51.100.0/33"',
  },
  {
    name: "a static address outside the gateway's subnet",
    config: {
      ...good,
      addressing: { mode: 'static', address: '192.0.2.41/24', gateway: '10.9.9.1' },
    },
    key: 'addressing.gateway',
    value: '"10.9.9.1"',
  },
  {
    name: 'lni.deviceIndex 0 (an LNI can never be eth0)',
    config: { ...good, lni: { deviceIndex: 0 } },
    key: 'lni.deviceIndex',
    value: '0',
  },
  {
    name: 'an unknown key',
    config: { ...good, lni: { mtu: 1500, colour: 'blue' } },
    key: 'lni.colour',
    value: '"blue"',
  },
  {
    name: 'a wrong type (lni.mtu: "big")',
    config: { ...good, lni: { mtu: 'big' } },
    key: 'lni.mtu',
    value: '"big"',
  },
  {
    name: 'an unknown addressing.mode',
    config: { ...good, addressing: { mode: 'bootp' } },
    key: 'addressing.mode',
    value: '"bootp"',
  },
  {
    name: 'a pool whose end precedes its start',
    config: {
      ...good,
      addressing: { mode: 'pool', start: '192.0.2.220', end: '192.0.2.210', prefixLength: 24 },
    },
    key: 'addressing.end',
    value: '"192.0.2.210"',
  },
];

function imdsCallsFrom(lab: Lab, node: LabNode, sinceIndex: number) {
  return lab.imds
    .calls()
    .slice(sinceIndex)
    .filter((c) => c.source.endsWith(node.primaryIp));
}

describe('up refuses bad input before touching anything', () => {
  let lab: Lab;
  beforeAll(async () => {
    const fixture = await loadFixture(DEFAULT_FIXTURE_PATH);
    // The outpost subnet keeps the nodes' addresses (.11, .12); a Region subnet beside it holds node 3.
    const [outpost] = fixture.subnets ?? [];
    fixture.subnets = [
      { ...outpost, cidrBlock: '10.20.1.0/25' },
      {
        subnetId: REGION_SUBNET,
        vpcId: outpost?.vpcId,
        cidrBlock: '10.20.1.128/25',
        availabilityZone: outpost?.availabilityZone,
        tags: [{ key: 'Name', value: 'lab-region-subnet' }],
      },
    ];
    fixture.instances = [
      ...(fixture.instances ?? []).slice(0, 2),
      {
        instanceId: REGION_INSTANCE,
        imageId: fixture.instances?.[0]?.imageId,
        instanceType: 'c6i.2xlarge',
        subnetId: REGION_SUBNET,
        privateIpAddress: '10.20.1.140',
        tags: [{ key: 'Name', value: 'lab-region-node' }],
      },
    ];
    lab = await Lab.start({ nodes: 3, fixture });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.for(BAD_CONFIGS)(
    'rejects $name with exit 2, naming the key and the bad value, with no IMDS or EC2 call and the host unchanged',
    async ({ config, key, value }) => {
      const node = lab.node(1);
      const host = await hostSnapshot(lab, node);
      const since = lastSeq(lab);
      const imdsSince = lab.imds.calls().length;
      const r = await lab.agent(node, ['up'], { config });
      expect(r.exitCode, r.stderr).toBe(2);
      const problem = r.stderr.split('\n').find((l) => l.includes(`- ${key}`));
      expect(problem, r.stderr).toBeDefined();
      expect(problem).toContain(value);
      expect(callsFrom(lab, node, since)).toEqual([]);
      expect(imdsCallsFrom(lab, node, imdsSince)).toEqual([]);
      expect(await hostSnapshot(lab, node)).toBe(host);
    },
  );

  /** Runs `up` expecting a preflight refusal: exit 11, no mutating EC2 call, no ENI, host unchanged. */
  async function refused(node: LabNode, config: Record<string, unknown>): Promise<string> {
    const host = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    const r = await lab.agent(node, ['up'], { config });
    expect(r.exitCode, r.stderr).toBe(11);
    const calls = callsFrom(lab, node, since);
    // It looked (DescribeSubnets) but changed nothing.
    expect(calls.map((c) => c.action)).toContain('DescribeSubnets');
    expect(mutating(calls)).toEqual([]);
    expect(lab.ownedEnis(node)).toEqual([]);
    expect(await hostSnapshot(lab, node)).toBe(host);
    return r.stderr;
  }

  it('refuses an instance that is not on an outpost with exit 11, naming the instance and the setting that allows it for tests', async () => {
    const node = lab.node(3);
    expect(node.instanceId).toBe(REGION_INSTANCE);
    const stderr = await refused(node, staticConfig('192.0.2.43'));
    expect(stderr).toContain(REGION_INSTANCE);
    expect(stderr).toMatch(/not on an outpost/);
    expect(stderr).toContain('preflight.requireOutpost');
  });

  it('refuses a subnet without an LNI device index (DisableLniAtDeviceIndex) with exit 11, naming the subnet and the command that enables it', async () => {
    const ec2 = lab.sdk();
    await ec2.send(
      new ModifySubnetAttributeCommand({
        SubnetId: OUTPOST_SUBNET,
        DisableLniAtDeviceIndex: { Value: true },
      }),
    );
    try {
      const stderr = await refused(lab.node(1), staticConfig('192.0.2.41'));
      expect(stderr).toContain(OUTPOST_SUBNET);
      expect(stderr).toContain('--enable-lni-at-device-index');
    } finally {
      await ec2.send(
        new ModifySubnetAttributeCommand({ SubnetId: OUTPOST_SUBNET, EnableLniAtDeviceIndex: 1 }),
      );
    }
  });

  it('refuses lni.deviceIndex 2 when the subnet makes LNIs at 1 with exit 11, naming the subnet, both indexes and the fix', async () => {
    const stderr = await refused(lab.node(1), staticConfig('192.0.2.41', { lni: { deviceIndex: 2 } }));
    expect(stderr).toContain('lni.deviceIndex');
    expect(stderr).toContain(OUTPOST_SUBNET);
    expect(stderr).toMatch(/device index 1/);
    expect(stderr).toMatch(/set it to 1/);
  });

  it('refuses an lni.subnetId that does not exist with exit 11, naming the subnet id and the key to fix', async () => {
    const stderr = await refused(
      lab.node(1),
      staticConfig('192.0.2.41', { lni: { subnetId: MISSING_SUBNET } }),
    );
    expect(stderr).toContain(MISSING_SUBNET);
    expect(stderr).toContain('lni.subnetId');
    expect(stderr).toMatch(/set lni\.subnetId|leave it out/);
  });

  it('refuses routes.onPrem and snat.destinations that overlap the VPC (10.0.0.0/8 in a 10.20.0.0/16 VPC) with exit 2, naming each key, before any change', async () => {
    const node = lab.node(1);
    const host = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.41', {
        routes: { onPrem: [LAB_ADDRS.onPremCidr, '10.0.0.0/8'] },
        snat: { destinations: ['10.20.7.0/24'] },
      }),
    });
    expect(r.exitCode, r.stderr).toBe(2);
    const lines = r.stderr.split('\n');
    const onPrem = lines.find((l) => l.includes('- routes.onPrem.1'));
    expect(onPrem).toContain("overlaps the VPC's 10.20.0.0/16");
    expect(onPrem).toContain('"10.0.0.0/8"');
    expect(lines.find((l) => l.includes('- snat.destinations.0'))).toContain(
      "overlaps the VPC's 10.20.0.0/16",
    );
    // The on-prem range outside the VPC is fine and not reported.
    expect(r.stderr).not.toContain('routes.onPrem.0');
    expect(mutating(callsFrom(lab, node, since))).toEqual([]);
    expect(lab.ownedEnis(node)).toEqual([]);
    expect(await hostSnapshot(lab, node)).toBe(host);
  });

  it('control: the same node with a valid config converges, and the call filters above do see its IMDS and EC2 calls', async () => {
    const node = lab.node(1);
    const since = lastSeq(lab);
    const imdsSince = lab.imds.calls().length;
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.41', { routes: { onPrem: [LAB_ADDRS.onPremCidr] } }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mutating(callsFrom(lab, node, since)).length).toBeGreaterThan(0);
    expect(imdsCallsFrom(lab, node, imdsSince).length).toBeGreaterThan(0);
    expect(lab.ownedEnis(node)).toHaveLength(1);
    // Nothing the refused runs did left an ENI behind anywhere.
    expect(lab.state.allEnis()).toHaveLength(lab.nodes.length + 1);
  });
});
