// Node specs, instances and ENIs shaped like the EC2 endpoint's, for the network tests that run without it.
import type { LabEni, LabInstance } from '../types.ts';
import { type LabNodeSpec, nodePrimaryIp } from './lab-network.ts';

export function instanceIdOf(n: number): string {
  return `i-0lab${String(n).padStart(12, '0')}`;
}

/** Specs for nodes 1..COUNT: instance N has 10.20.1.(10+N) and primary MAC 02:0a:00:00:00:NN. */
export function labNodeSpecs(count: number): LabNodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    instanceId: instanceIdOf(i + 1),
    primaryIp: nodePrimaryIp(i + 1),
    primaryMac: `02:0a:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
  }));
}

export function fakeInstance(n: number): LabInstance {
  return {
    instanceId: instanceIdOf(n),
    imageId: 'ami-0lab00000000000001',
    instanceType: 'm5.xlarge',
    subnetId: 'subnet-0lab000000000001',
    privateIpAddress: nodePrimaryIp(n),
    state: 'running',
    launchTime: new Date(0).toISOString(),
    availabilityZone: 'us-west-2a',
    tags: [],
  };
}

/** An ENI with MAC 02:0e:00:00:SS:SS (SS = SEQ), as an attach would carry it. */
export function fakeEni(seq: number): LabEni {
  const hex = seq.toString(16).padStart(4, '0');
  return {
    networkInterfaceId: `eni-0lab${hex.padStart(13, '0')}`,
    subnetId: 'subnet-0lab000000000001',
    vpcId: 'vpc-0lab0000000000001',
    availabilityZone: 'us-west-2a',
    macAddress: `02:0e:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`,
    privateIpAddress: `10.20.1.${100 + seq}`,
    description: 'lab test ENI',
    status: 'in-use',
    interfaceType: 'interface',
    ownerId: '123456789012',
    requesterManaged: false,
    sourceDestCheck: true,
    tags: [],
    createdAt: Date.now(),
  };
}
