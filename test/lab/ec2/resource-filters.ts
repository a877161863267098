// The Describe* filter names the lab supports per resource type, and what each one reads.
import type { LabEni, LabImage, LabInstance, LabSubnet } from '../types.ts';
import type { FilterFields } from './filters.ts';

export const eniFilterFields: FilterFields<LabEni> = {
  'network-interface-id': (e) => e.networkInterfaceId,
  'subnet-id': (e) => e.subnetId,
  'vpc-id': (e) => e.vpcId,
  'availability-zone': (e) => e.availabilityZone,
  status: (e) => e.status,
  'mac-address': (e) => e.macAddress,
  'owner-id': (e) => e.ownerId,
  description: (e) => e.description,
  'private-ip-address': (e) => e.privateIpAddress,
  'addresses.private-ip-address': (e) => e.privateIpAddress,
  'addresses.primary': () => 'true',
  'interface-type': (e) => e.interfaceType,
  'requester-managed': (e) => e.requesterManaged,
  'source-dest-check': (e) => e.sourceDestCheck,
  'attachment.attachment-id': (e) => e.attachment?.attachmentId,
  'attachment.instance-id': (e) => e.attachment?.instanceId,
  'attachment.instance-owner-id': (e) => (e.attachment ? e.ownerId : undefined),
  'attachment.device-index': (e) => e.attachment?.deviceIndex,
  'attachment.status': (e) => e.attachment?.status,
  'attachment.attach-time': (e) => e.attachment?.attachTime,
  'attachment.delete-on-termination': (e) => e.attachment?.deleteOnTermination,
};

export const subnetFilterFields: FilterFields<LabSubnet> = {
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
  'outpost-arn': (s) => s.outpostArn,
  'availability-zone': (s) => s.availabilityZone,
  'availability-zone-id': (s) => s.availabilityZoneId,
  'cidr-block': (s) => s.cidrBlock,
  cidr: (s) => s.cidrBlock,
  cidrBlock: (s) => s.cidrBlock,
  'owner-id': (s) => s.ownerId,
  state: () => 'available',
  'default-for-az': () => false,
};

export const imageFilterFields: FilterFields<LabImage> = {
  'image-id': (i) => i.imageId,
  name: (i) => i.name,
  architecture: (i) => i.architecture,
  state: () => 'available',
  'image-type': () => 'machine',
  'root-device-type': () => 'ebs',
  'block-device-mapping.device-name': (i) => i.blockDeviceMappings.map((m) => m.deviceName),
  'block-device-mapping.snapshot-id': (i) => i.blockDeviceMappings.map((m) => m.snapshotId),
};

/** Instance filters that need other resources (VPC of the subnet, attached ENIs). */
export interface InstanceRelations {
  vpcIdOf(instance: LabInstance): string | undefined;
  enisOf(instance: LabInstance): readonly LabEni[];
}

const INSTANCE_STATE_CODES: Record<LabInstance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const instanceStateCode = (state: LabInstance['state']): number => INSTANCE_STATE_CODES[state];

export function instanceFilterFields(relations: InstanceRelations): FilterFields<LabInstance> {
  return {
    'instance-id': (i) => i.instanceId,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => instanceStateCode(i.state),
    'instance-type': (i) => i.instanceType,
    'image-id': (i) => i.imageId,
    'subnet-id': (i) => i.subnetId,
    'vpc-id': (i) => relations.vpcIdOf(i),
    'availability-zone': (i) => i.availabilityZone,
    'private-ip-address': (i) => i.privateIpAddress,
    'network-interface.network-interface-id': (i) => relations.enisOf(i).map((e) => e.networkInterfaceId),
    'network-interface.mac-address': (i) => relations.enisOf(i).map((e) => e.macAddress),
  };
}
