// Pure: pods per node for the VPC CNI, with the LNI's device index (and any no_manage ENI) taken out.
//
// Source: awslabs/amazon-eks-ami max-pods-calculator.sh — secondary-IP mode ENIs × (IPv4 per ENI − 1) + 2,
// prefix delegation ENIs × ((IPv4 per ENI − 1) × 16) + 2, custom networking one ENI fewer, then capped at
// 110 pods for instances with 30 vCPUs or fewer and 250 above. The VPC CNI never uses an ENI tagged
// node.k8s.amazonaws.com/no_manage=true (amazon-vpc-cni-k8s pkg/ipamd), and the LNI occupies a device index
// the CNI can never use, so each such ENI is one fewer ENI for pods.

export interface InstanceTypeFacts {
  instanceType: string;
  vcpus: number;
  maxEnis: number;
  ipv4PerEni: number;
}

export interface MaxPodsInput {
  type: InstanceTypeFacts;
  /** ENIs the CNI cannot use: the LNI and other no_manage ENIs. */
  reservedEnis: number;
  prefixDelegation?: boolean;
}

const IPS_PER_PREFIX = 16;

export function maxPodsCeiling(vcpus: number): number {
  return vcpus > 30 ? 250 : 110;
}

/** Before the ceiling: what the ENIs and their addresses allow. */
export function uncappedMaxPods(input: MaxPodsInput): number {
  const enis = Math.max(0, input.type.maxEnis - input.reservedEnis);
  const perEni = input.type.ipv4PerEni - 1;
  return enis * (input.prefixDelegation ? perEni * IPS_PER_PREFIX : perEni) + 2;
}

export function maxPods(input: MaxPodsInput): number {
  return Math.min(maxPodsCeiling(input.type.vcpus), uncappedMaxPods(input));
}
