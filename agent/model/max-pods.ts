// Pure: pods per node for the VPC CNI, as the AMI itself computes it, with the LNI's device index (and any
// no_manage ENI) taken out.
//
// What the AMIs set (read at awslabs/amazon-eks-ami):
// - AL2023, nodeadm (81fec2e, nodeadm/internal/kubelet/eni_max_pods.go calculateStandardMaxPods):
//   DefaultMaxENIs × (IPv4 per ENI − 1) + 2, with no cap; 110 is only its fallback when the instance type is
//   unknown (config.go withDefaultReservedResources).
// - AL2, bootstrap.sh (0ab8428, templates/al2/runtime/bootstrap.sh lines 509-532): the same number from
//   /etc/eks/eni-max-pods.txt (templates/shared/runtime/eni-max-pods.txt: c6gd.4xlarge 234, c5.18xlarge 737),
//   no cap; its calculator fallback runs with --show-max-allowed, which exits before any ceiling.
// - Only the standalone max-pods-calculator.sh (0ab8428, templates/al2/runtime/max-pods-calculator.sh lines
//   97-161) caps, at 110 for ≤ 30 vCPUs and 250 above, and only it knows prefix delegation
//   (ENIs × ((IPv4 − 1) × 16) + 2): the prefix formula therefore keeps that script's ceiling.
// The VPC CNI never uses an ENI tagged node.k8s.amazonaws.com/no_manage=true (amazon-vpc-cni-k8s pkg/ipamd),
// and the LNI occupies a device index the CNI can never use, so each such ENI is one fewer ENI for pods.

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

/** max-pods-calculator.sh's ceiling, applied to the prefix-delegation formula only. */
export function prefixDelegationCeiling(vcpus: number): number {
  return vcpus > 30 ? 250 : 110;
}

/** What the AMI itself sets for the instance type (nodeadm and eni-max-pods.txt agree): no cap. */
export function amiMaxPods(type: InstanceTypeFacts): number {
  return maxPods({ type, reservedEnis: 0 });
}

export function maxPods(input: MaxPodsInput): number {
  const enis = Math.max(0, input.type.maxEnis - input.reservedEnis);
  const perEni = input.type.ipv4PerEni - 1;
  if (!input.prefixDelegation) return enis * perEni + 2;
  return Math.min(prefixDelegationCeiling(input.type.vcpus), enis * perEni * IPS_PER_PREFIX + 2);
}
