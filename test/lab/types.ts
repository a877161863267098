// Contracts between the lab's parts: EC2 state, the endpoints that serve it, and the network that hot-plugs ENIs.

export interface LabTag {
  key: string;
  value: string;
}

export interface LabSubnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId?: string;
  outpostArn?: string;
  /** EnableLniAtDeviceIndex; undefined = not enabled. */
  enableLniAtDeviceIndex?: number;
  ownerId: string;
  tags: LabTag[];
}

export interface LabImage {
  imageId: string;
  name: string;
  /** Block-device mappings; an EBS mapping carries a snapshot id. */
  blockDeviceMappings: { deviceName: string; snapshotId?: string; virtualName?: string }[];
  architecture: 'x86_64' | 'arm64';
  platformDetails?: string;
}

export type LabInstanceState =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

export interface LabInstance {
  instanceId: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  /** Primary private IP (eth0); IMDS tells callers apart by this source address. */
  privateIpAddress: string;
  state: LabInstanceState;
  launchTime: string;
  availabilityZone: string;
  tags: LabTag[];
  /** ASG lifecycle state IMDS reports at autoscaling/target-lifecycle-state (undefined: path 404s). */
  targetLifecycleState?: string;
  /** The instance's user data as IMDS `latest/user-data` returns it (undefined: the path 404s). */
  userData?: string;
}

export type LabAttachmentStatus = 'attaching' | 'attached' | 'detaching' | 'detached';

export interface LabAttachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  status: LabAttachmentStatus;
  attachTime: string;
  deleteOnTermination: boolean;
}

export interface LabEni {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  macAddress: string;
  privateIpAddress: string;
  description: string;
  status: 'available' | 'in-use' | 'attaching' | 'detaching';
  interfaceType: 'interface';
  ownerId: string;
  requesterManaged: boolean;
  sourceDestCheck: boolean;
  tags: LabTag[];
  attachment?: LabAttachment;
  /** Wall-clock ms when created; describe calls may answer NotFound until createdAt + consistencyDelayMs. */
  createdAt: number;
}

/** What the network side of the lab does when EC2 attaches or detaches an ENI. */
export interface HotPlug {
  /** Called when an attachment starts; the interface should exist by the time the attachment is `attached`. */
  attach(ev: { instance: LabInstance; eni: LabEni; deviceIndex: number; isLni: boolean }): Promise<void>;
  /** Called when a detach starts (or the instance terminates); remove the interface. */
  detach(ev: { instance: LabInstance; eni: LabEni; deviceIndex: number; isLni: boolean }): Promise<void>;
}

export type FaultKind = 'throttle' | 'server-error' | 'unavailable' | 'latency' | 'hang';

export interface FaultRule {
  /** EC2 Action name (e.g. `CreateNetworkInterface`) or `*`. */
  action: string;
  kind: FaultKind;
  /** How many matching calls to affect (default: unlimited). */
  times?: number;
  /** Probability 0..1 that a matching call is affected (default 1). */
  probability?: number;
  /** For `latency` (and `hang`, max): added delay. */
  latencyMs?: number;
}

export interface CallRecord {
  seq: number;
  action: string;
  /** Flat Query API params as received (minus Action/Version). */
  params: Record<string, string>;
  /** Source address of the caller. */
  source: string;
  startedAt: number;
  durationMs: number;
  /** HTTP status and error code if it failed. */
  status: number;
  errorCode?: string;
  mutating: boolean;
  dryRun: boolean;
}

export interface LabFixture {
  accountId?: string;
  region?: string;
  vpcs?: { vpcId: string; cidrBlock: string }[];
  subnets?: Partial<LabSubnet>[];
  images?: Partial<LabImage>[];
  instances?: Partial<LabInstance>[];
  /** Foreign ENIs that exist before the agent runs (untagged, tagged by others, ...). */
  enis?: (Partial<LabEni> & {
    attachTo?: { instanceId: string; deviceIndex: number; deleteOnTermination?: boolean };
  })[];
}

export interface LabTimings {
  /** ms an attachment stays `attaching` before `attached` (AWS: seconds). */
  attachDelayMs: number;
  /** ms a detach stays `detaching`. */
  detachDelayMs: number;
  /** ms a just-created ENI answers InvalidNetworkInterfaceID.NotFound to Describe/Attach/Modify. */
  consistencyDelayMs: number;
  /** base latency added to every EC2 answer. */
  baseLatencyMs: number;
}
