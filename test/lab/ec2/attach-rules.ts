// The checks EC2 makes before attaching an ENI: instance state, device index, AZ, one attachment per ENI, one LNI per instance.
import type { LabEni, LabInstance } from '../types.ts';
import { ec2Errors } from './errors.ts';

export const MAX_DEVICE_INDEX = 31;

export interface AttachCandidate {
  eni: LabEni;
  instance: LabInstance;
  deviceIndex: number;
  /** ENIs already attached (any status) to the instance. */
  attached: readonly LabEni[];
  /** Whether an ENI at a device index is an LNI (its subnet's EnableLniAtDeviceIndex). */
  isLni(eni: LabEni, deviceIndex?: number): boolean;
}

/** Throws the error EC2 answers with when this attachment is not allowed. */
export function assertCanAttach({ eni, instance, deviceIndex, attached, isLni }: AttachCandidate): void {
  const instanceId = instance.instanceId;
  if (instance.state !== 'running' && instance.state !== 'stopped')
    throw ec2Errors.incorrectInstanceState(instanceId);
  if (deviceIndex < 0 || deviceIndex > MAX_DEVICE_INDEX) {
    throw ec2Errors.invalidValue(`Invalid value '${deviceIndex}' for DeviceIndex.`);
  }
  if (eni.attachment) throw ec2Errors.eniInUse(eni.networkInterfaceId);
  if (eni.availabilityZone !== instance.availabilityZone) {
    throw ec2Errors.invalidCombination(
      'You may not attach a network interface to an instance if they are not in the same availability zone',
    );
  }
  if (attached.some((other) => other.attachment?.deviceIndex === deviceIndex)) {
    throw ec2Errors.invalidValue(
      `Instance '${instanceId}' already has an interface attached at device index '${deviceIndex}'.`,
    );
  }
  if (isLni(eni, deviceIndex) && attached.some((other) => isLni(other))) {
    throw ec2Errors.invalidValue(
      `Instance '${instanceId}' already has a local network interface attached; an instance can have only one.`,
    );
  }
}
