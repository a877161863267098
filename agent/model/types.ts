// Pure data types: what was discovered (facts), what should be (desired), and the steps between them.

export type Distro = 'al2' | 'al2023' | 'rhel' | 'other';

/** An attached interface other than the primary, as IMDS reports it. */
export interface ImdsInterface {
  mac: string;
  deviceNumber: number;
  interfaceId: string;
  subnetId: string;
  localIpv4s: string[];
}

export interface InstanceFacts {
  instanceId: string;
  region: string;
  availabilityZone: string;
  instanceType: string;
  outpostArn?: string;
  primaryMac: string;
  primaryIp: string;
  primarySubnetId: string;
  /** The VPC's IPv4 CIDR blocks (IMDS lists them under the primary MAC); undefined when IMDS lists none. */
  vpcCidrs?: string[];
  /** The other attached interfaces (device number 1 and up), by device number. */
  interfaces: ImdsInterface[];
}

export interface SubnetFacts {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  outpostArn?: string;
  enableLniAtDeviceIndex?: number;
}

export interface EniFacts {
  networkInterfaceId: string;
  subnetId: string;
  macAddress: string;
  privateIpAddress?: string;
  status: string;
  tags: Record<string, string>;
  attachment?: {
    attachmentId: string;
    instanceId?: string;
    deviceIndex: number;
    status: string;
    deleteOnTermination: boolean;
  };
}

/** The host side of one link, as `ip -json` shows it. */
export interface LinkFacts {
  ifindex: number;
  name: string;
  mac: string;
  up: boolean;
  mtu: number;
  /** Set for VLAN sub-interfaces: the parent's ifindex. */
  link?: number;
  kind?: string;
  vlanId?: number;
}

export interface AddressFacts {
  ifname: string;
  address: string;
  prefixLength: number;
}

export interface RuleFacts {
  priority: number;
  from?: string;
  to?: string;
  table: string;
}

export interface RouteFacts {
  /** `default` or a CIDR. */
  dst: string;
  gateway?: string;
  dev?: string;
  table: string;
  scope?: string;
  src?: string;
}

export interface HostFacts {
  links: LinkFacts[];
  addresses: AddressFacts[];
  rules: RuleFacts[];
  routes: RouteFacts[];
  /** sysctl values by full key (e.g. `net.ipv4.conf.eth1.arp_ignore`). */
  sysctls: Record<string, string>;
}

/** The LAN addressing of the LNI once known (static, from a DHCP lease, or claimed from the pool). */
export interface LanAddress {
  address: string;
  prefixLength: number;
  gateway?: string;
  source: 'static' | 'dhcp' | 'pool';
  /**
   * The network manager that puts this (DHCP) address on the LNI and takes it off: the agent then never adds or
   * removes it, it follows it (table, rule, SNAT). Undefined: the agent places the address (dhclient's hook too).
   */
  managedBy?: 'networkd' | 'networkmanager';
}

export interface DesiredHost {
  /** The interface that carries the address (the LNI or its VLAN sub-interface). */
  ifname: string;
  /** The LNI itself (parent when a VLAN is used). */
  lniName: string;
  mtu: number;
  vlan?: { id: number; name: string };
  address: LanAddress;
  table: number;
  rulePriority: number;
  onPrem: string[];
  sysctls: Record<string, string>;
}

export type HostStep =
  | { kind: 'link-up'; ifname: string }
  | { kind: 'link-mtu'; ifname: string; mtu: number }
  | { kind: 'vlan-add'; parent: string; ifname: string; id: number }
  | { kind: 'link-del'; ifname: string }
  | { kind: 'link-down'; ifname: string }
  | { kind: 'link-rename'; ifname: string; newName: string }
  | { kind: 'addr-add'; ifname: string; cidr: string }
  | { kind: 'addr-del'; ifname: string; cidr: string }
  | {
      kind: 'route-replace';
      dst: string;
      ifname: string;
      table: number | 'main';
      gateway?: string;
      src?: string;
    }
  | { kind: 'route-del'; dst: string; table: number | 'main'; ifname?: string; gateway?: string }
  | { kind: 'rule-add'; from: string; table: number; priority: number }
  | { kind: 'rule-del'; from?: string; table: string; priority: number }
  | { kind: 'sysctl'; key: string; value: string };

/** An AMI as DescribeImages shows it: Outposts servers take only AMIs with a single EBS snapshot. */
export interface ImageFacts {
  imageId: string;
  name?: string;
  /** The block-device mappings that carry an EBS snapshot. */
  snapshots: { device: string; snapshotId: string }[];
}
