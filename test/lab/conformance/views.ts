// Projections of EC2 answers onto the fields the agent relies on, applied alike to SDK results and CLI JSON.
import type { Image, Instance, NetworkInterface, Subnet, Tag } from '@aws-sdk/client-ec2';

export const sortedTags = (tags: Tag[] | undefined): { Key?: string; Value?: string }[] =>
  [...(tags ?? [])]
    .map(({ Key, Value }) => ({ Key, Value }))
    .sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''));

/** Timestamps: Date from the SDK, ISO text from the CLI → epoch ms. */
export const epochMs = (value: Date | string | undefined): number | undefined =>
  value === undefined ? undefined : new Date(value).getTime();

export function eniView(eni: NetworkInterface | undefined) {
  if (!eni) return undefined;
  const attachment = eni.Attachment;
  return {
    id: eni.NetworkInterfaceId,
    subnetId: eni.SubnetId,
    vpcId: eni.VpcId,
    availabilityZone: eni.AvailabilityZone,
    outpostArn: eni.OutpostArn,
    status: eni.Status,
    mac: eni.MacAddress,
    ip: eni.PrivateIpAddress,
    ips: eni.PrivateIpAddresses?.map((p) => [p.PrivateIpAddress, p.Primary]),
    description: eni.Description,
    ownerId: eni.OwnerId,
    interfaceType: eni.InterfaceType,
    sourceDestCheck: eni.SourceDestCheck,
    requesterManaged: eni.RequesterManaged,
    tags: sortedTags(eni.TagSet),
    attachment: attachment && {
      id: attachment.AttachmentId,
      instanceId: attachment.InstanceId,
      deviceIndex: attachment.DeviceIndex,
      status: attachment.Status,
      deleteOnTermination: attachment.DeleteOnTermination,
      attachTime: epochMs(attachment.AttachTime),
    },
  };
}

export function instanceView(instance: Instance | undefined) {
  if (!instance) return undefined;
  return {
    id: instance.InstanceId,
    state: [instance.State?.Name, instance.State?.Code],
    type: instance.InstanceType,
    imageId: instance.ImageId,
    subnetId: instance.SubnetId,
    vpcId: instance.VpcId,
    ip: instance.PrivateIpAddress,
    az: instance.Placement?.AvailabilityZone,
    outpostArn: instance.OutpostArn,
    launchTime: epochMs(instance.LaunchTime),
    tags: sortedTags(instance.Tags),
    enis: instance.NetworkInterfaces?.map((eni) => [
      eni.NetworkInterfaceId,
      eni.MacAddress,
      eni.Attachment?.DeviceIndex,
      eni.Attachment?.Status,
      eni.Attachment?.DeleteOnTermination,
    ]),
  };
}

export function subnetView(subnet: Subnet | undefined) {
  if (!subnet) return undefined;
  return {
    id: subnet.SubnetId,
    vpcId: subnet.VpcId,
    cidr: subnet.CidrBlock,
    az: subnet.AvailabilityZone,
    azId: subnet.AvailabilityZoneId,
    outpostArn: subnet.OutpostArn,
    lniIndex: subnet.EnableLniAtDeviceIndex,
    state: subnet.State,
    freeIps: subnet.AvailableIpAddressCount,
    tags: sortedTags(subnet.Tags),
  };
}

export function imageView(image: Image | undefined) {
  if (!image) return undefined;
  return {
    id: image.ImageId,
    name: image.Name,
    architecture: image.Architecture,
    rootDevice: image.RootDeviceName,
    state: image.State,
    mappings: image.BlockDeviceMappings?.map((m) => [m.DeviceName, m.Ebs?.SnapshotId]),
  };
}
