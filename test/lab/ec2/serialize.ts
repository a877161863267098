// Lab resources → the XML structures of EC2's responses (element names are botocore's locationNames).

import type { LabEni, LabImage, LabInstance, LabSubnet, LabTag } from '../types.ts';
import type { LabInstanceType } from './instance-types.ts';
import { instanceStateCode } from './resource-filters.ts';
import type { Ec2State, InstanceStateChange } from './state.ts';
import type { XmlObject, XmlValue } from './xml.ts';

export const tagSetXml = (tags: readonly LabTag[]): XmlValue[] =>
  tags.map(({ key, value }) => ({ key, value }));

/** EC2's private DNS name for an address (`ip-10-20-1-11.us-west-2.compute.internal`). */
export const privateDnsName = (ip: string, region: string): string =>
  `ip-${ip.replaceAll('.', '-')}.${region}.compute.internal`;

const stateXml = (state: LabInstance['state']): XmlObject => ({
  code: instanceStateCode(state),
  name: state,
});

export function eniXml(state: Ec2State, eni: LabEni): XmlObject {
  const subnet = state.getSubnet(eni.subnetId);
  const dnsName = privateDnsName(eni.privateIpAddress, state.region);
  const attachment = eni.attachment;
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    availabilityZoneId: subnet?.availabilityZoneId,
    outpostArn: subnet?.outpostArn,
    description: eni.description,
    ownerId: eni.ownerId,
    requesterManaged: eni.requesterManaged,
    status: eni.status,
    macAddress: eni.macAddress,
    privateIpAddress: eni.privateIpAddress,
    privateDnsName: dnsName,
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: [],
    attachment: attachment && {
      attachmentId: attachment.attachmentId,
      instanceId: attachment.instanceId,
      instanceOwnerId: eni.ownerId,
      deviceIndex: attachment.deviceIndex,
      networkCardIndex: 0,
      status: attachment.status,
      attachTime: attachment.attachTime,
      deleteOnTermination: attachment.deleteOnTermination,
    },
    tagSet: tagSetXml(eni.tags),
    privateIpAddressesSet: [
      { privateIpAddress: eni.privateIpAddress, privateDnsName: dnsName, primary: true },
    ],
    ipv6AddressesSet: [],
    interfaceType: eni.interfaceType,
  };
}

function instanceEniXml(eni: LabEni, region: string): XmlObject {
  const attachment = eni.attachment;
  const dnsName = privateDnsName(eni.privateIpAddress, region);
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    description: eni.description,
    ownerId: eni.ownerId,
    status: eni.status,
    macAddress: eni.macAddress,
    privateIpAddress: eni.privateIpAddress,
    privateDnsName: dnsName,
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: [],
    attachment: attachment && {
      attachmentId: attachment.attachmentId,
      deviceIndex: attachment.deviceIndex,
      networkCardIndex: 0,
      status: attachment.status,
      attachTime: attachment.attachTime,
      deleteOnTermination: attachment.deleteOnTermination,
    },
    privateIpAddressesSet: [
      { privateIpAddress: eni.privateIpAddress, privateDnsName: dnsName, primary: true },
    ],
    interfaceType: eni.interfaceType,
  };
}

export function instanceXml(state: Ec2State, instance: LabInstance): XmlObject {
  const subnet = state.getSubnet(instance.subnetId);
  const image = state.getImage(instance.imageId);
  const live = instance.state !== 'terminated';
  const enis = live ? state.enisOfInstance(instance.instanceId) : [];
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateXml(instance.state),
    privateDnsName: live ? privateDnsName(instance.privateIpAddress, state.region) : '',
    dnsName: '',
    reason: live ? '' : 'User initiated',
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: live ? instance.subnetId : undefined,
    vpcId: live ? subnet?.vpcId : undefined,
    privateIpAddress: live ? instance.privateIpAddress : undefined,
    sourceDestCheck: true,
    groupSet: [],
    architecture: image?.architecture ?? 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: image?.blockDeviceMappings[0]?.deviceName ?? '/dev/xvda',
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    tagSet: tagSetXml(instance.tags),
    networkInterfaceSet: enis.map((eni) => instanceEniXml(eni, state.region)),
    ebsOptimized: false,
    enaSupport: true,
    outpostArn: subnet?.outpostArn,
    platformDetails: image?.platformDetails ?? 'Linux/UNIX',
    metadataOptions: {
      state: 'applied',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      httpEndpoint: 'enabled',
    },
  };
}

/** DescribeInstances groups instances in reservations; the lab gives each instance its own. */
export function reservationXml(state: Ec2State, instance: LabInstance): XmlObject {
  return {
    reservationId: `r-${instance.instanceId.slice(2)}`,
    ownerId: state.accountId,
    groupSet: [],
    instancesSet: [instanceXml(state, instance)],
  };
}

export const stateChangeXml = (change: InstanceStateChange): XmlObject => ({
  instanceId: change.instanceId,
  currentState: stateXml(change.currentState),
  previousState: stateXml(change.previousState),
});

export function subnetXml(state: Ec2State, subnet: LabSubnet): XmlObject {
  return {
    subnetId: subnet.subnetId,
    subnetArn: `arn:aws:ec2:${state.region}:${subnet.ownerId}:subnet/${subnet.subnetId}`,
    state: 'available',
    vpcId: subnet.vpcId,
    ownerId: subnet.ownerId,
    cidrBlock: subnet.cidrBlock,
    availableIpAddressCount: state.availableIpCount(subnet.subnetId),
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: subnet.availabilityZoneId,
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
    mapCustomerOwnedIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    outpostArn: subnet.outpostArn,
    enableLniAtDeviceIndex: subnet.enableLniAtDeviceIndex,
    tagSet: tagSetXml(subnet.tags),
    enableDns64: false,
    ipv6Native: false,
    privateDnsNameOptionsOnLaunch: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
  };
}

export function instanceTypeXml(t: LabInstanceType): XmlObject {
  return {
    instanceType: t.instanceType,
    currentGeneration: true,
    hypervisor: 'nitro',
    vCpuInfo: { defaultVCpus: t.vcpus },
    networkInfo: {
      maximumNetworkInterfaces: t.maxEnis,
      ipv4AddressesPerInterface: t.ipv4PerEni,
      defaultNetworkCardIndex: 0,
      networkCards: [{ networkCardIndex: 0, maximumNetworkInterfaces: t.maxEnis }],
    },
  };
}

export function imageXml(state: Ec2State, image: LabImage): XmlObject {
  return {
    imageId: image.imageId,
    imageLocation: `${state.accountId}/${image.name}`,
    imageState: 'available',
    imageOwnerId: state.accountId,
    creationDate: '2025-01-01T00:00:00.000Z',
    isPublic: false,
    architecture: image.architecture,
    imageType: 'machine',
    name: image.name,
    rootDeviceType: 'ebs',
    rootDeviceName: image.blockDeviceMappings[0]?.deviceName ?? '/dev/xvda',
    blockDeviceMapping: image.blockDeviceMappings.map((mapping) => ({
      deviceName: mapping.deviceName,
      virtualName: mapping.virtualName,
      ebs: mapping.snapshotId
        ? {
            snapshotId: mapping.snapshotId,
            volumeSize: 20,
            deleteOnTermination: true,
            volumeType: 'gp3',
            encrypted: false,
          }
        : undefined,
    })),
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    enaSupport: true,
    platformDetails: image.platformDetails ?? 'Linux/UNIX',
    usageOperation: 'RunInstances',
    bootMode: 'uefi-preferred',
    imdsSupport: 'v2.0',
    tagSet: [],
  };
}
