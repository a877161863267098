// The instance metadata an instance sees, built live from the lab's EC2 state as a tree of IMDS paths.
import { privateDnsName } from '../ec2/serialize.ts';
import type { Ec2State } from '../ec2/state.ts';
import type { LabEni, LabInstance } from '../types.ts';

/** A directory of metadata entries; leaves are the text IMDS returns. */
export interface MetadataDir {
  [entry: string]: string | MetadataDir | undefined;
}

function interfaceDir(state: Ec2State, eni: LabEni): MetadataDir {
  const subnet = state.getSubnet(eni.subnetId);
  const vpcCidr = state.vpcCidrOf(eni.vpcId);
  return {
    'device-number': String(eni.attachment?.deviceIndex ?? 0),
    'interface-id': eni.networkInterfaceId,
    'local-hostname': privateDnsName(eni.privateIpAddress, state.region),
    'local-ipv4s': eni.privateIpAddress,
    mac: eni.macAddress,
    'owner-id': eni.ownerId,
    'subnet-id': eni.subnetId,
    'subnet-ipv4-cidr-block': subnet?.cidrBlock,
    'vpc-id': eni.vpcId,
    'vpc-ipv4-cidr-block': vpcCidr,
    'vpc-ipv4-cidr-blocks': vpcCidr,
  };
}

/** ENIs IMDS lists: only attachments that have completed. */
export function attachedEnis(state: Ec2State, instance: LabInstance): LabEni[] {
  return state.enisOfInstance(instance.instanceId).filter((eni) => eni.attachment?.status === 'attached');
}

export function identityDocument(state: Ec2State, instance: LabInstance): string {
  const document = {
    accountId: state.accountId,
    architecture: state.getImage(instance.imageId)?.architecture ?? 'x86_64',
    availabilityZone: instance.availabilityZone,
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: instance.imageId,
    instanceId: instance.instanceId,
    instanceType: instance.instanceType,
    kernelId: null,
    pendingTime: instance.launchTime,
    privateIp: instance.privateIpAddress,
    ramdiskId: null,
    region: state.region,
    version: '2017-09-30',
  };
  return JSON.stringify(document, null, 2);
}

export function metadataTree(state: Ec2State, instance: LabInstance): MetadataDir {
  const subnet = state.getSubnet(instance.subnetId);
  const enis = attachedEnis(state, instance);
  const primary = enis.find((eni) => eni.attachment?.deviceIndex === 0);
  const hostname = privateDnsName(instance.privateIpAddress, state.region);
  const macs: MetadataDir = {};
  for (const eni of enis) macs[eni.macAddress] = interfaceDir(state, eni);
  return {
    latest: {
      'meta-data': {
        'ami-id': instance.imageId,
        'ami-launch-index': '0',
        autoscaling:
          instance.targetLifecycleState === undefined
            ? undefined
            : { 'target-lifecycle-state': instance.targetLifecycleState },
        hostname,
        'instance-id': instance.instanceId,
        'instance-type': instance.instanceType,
        'local-hostname': hostname,
        'local-ipv4': instance.privateIpAddress,
        mac: primary?.macAddress,
        network: { interfaces: { macs } },
        'outpost-arn': subnet?.outpostArn,
        placement: {
          'availability-zone': instance.availabilityZone,
          'availability-zone-id': subnet?.availabilityZoneId,
          region: state.region,
        },
        services: { domain: 'amazonaws.com', partition: 'aws' },
      },
      dynamic: { 'instance-identity': { document: identityDocument(state, instance) } },
      'user-data': instance.userData,
    },
  };
}

/** IMDS text for a path: a leaf's value, or a listing (`name` / `dir/` per line); undefined → 404. */
export function lookup(tree: MetadataDir, path: string): string | undefined {
  let node: string | MetadataDir | undefined = tree;
  for (const segment of path.split('/').filter(Boolean)) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[segment];
  }
  if (node === undefined) return undefined;
  if (typeof node === 'string') return path.endsWith('/') ? undefined : node;
  return Object.entries(node)
    .filter(([, child]) => child !== undefined)
    .map(([name, child]) => (typeof child === 'string' ? name : `${name}/`))
    .join('\n');
}
