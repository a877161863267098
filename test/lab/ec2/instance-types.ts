// The Outposts server instance types the lab knows, with the limits AWS publishes for them.
// Sources: ENIs and IPv4 addresses per ENI from the EC2 instance-type tables, cross-checked against
// awslabs/amazon-eks-ami eni-max-pods.txt (ENIs × (IPs − 1) + 2: c6id.large 29, c6gd.medium 8, ...).
// 1U servers (Graviton) run c6gd.*; 2U servers (Intel) run c6id.*.
export interface LabInstanceType {
  instanceType: string;
  vcpus: number;
  maxEnis: number;
  ipv4PerEni: number;
}

const row = (instanceType: string, vcpus: number, maxEnis: number, ipv4PerEni: number): LabInstanceType => ({
  instanceType,
  vcpus,
  maxEnis,
  ipv4PerEni,
});

export const LAB_INSTANCE_TYPES: readonly LabInstanceType[] = [
  row('c6gd.medium', 1, 2, 4),
  row('c6gd.large', 2, 3, 10),
  row('c6gd.xlarge', 4, 4, 15),
  row('c6gd.2xlarge', 8, 4, 15),
  row('c6gd.4xlarge', 16, 8, 30),
  row('c6id.large', 2, 3, 10),
  row('c6id.xlarge', 4, 4, 15),
  row('c6id.2xlarge', 8, 4, 15),
  row('c6id.4xlarge', 16, 8, 30),
  row('c6id.8xlarge', 32, 8, 30),
];
