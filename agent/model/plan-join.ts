// Pure: the join parameters (kubelet pinned to the VPC address, LNI facts as node labels) and their renderings.
import YAML from 'yaml';
import type { Distro } from './types.ts';

/** What a join is given: kubelet pinned to the VPC address, the LNI's labels, max-pods. */
export interface JoinParams {
  method: 'bootstrap-sh' | 'nodeadm';
  clusterName: string;
  apiServerEndpoint?: string;
  certificateAuthority?: string;
  serviceCidr?: string;
  nodeIp: string;
  labels: Record<string, string>;
  kubeletExtraArgs: string[];
  /** kubelet --max-pods; undefined leaves the AMI's own value. */
  maxPods?: number;
}

export const LABEL_PREFIX = 'outposts-node-agent';

export function joinMethod(
  mode: 'auto' | 'bootstrap-sh' | 'nodeadm',
  distro: Distro,
): 'bootstrap-sh' | 'nodeadm' | undefined {
  if (mode !== 'auto') return mode;
  if (distro === 'al2023') return 'nodeadm';
  if (distro === 'al2' || distro === 'rhel') return 'bootstrap-sh';
  return undefined;
}

export function lniLabels(facts: {
  lniAddress: string;
  lniInterface: string;
  outpostArn?: string;
}): Record<string, string> {
  const labels: Record<string, string> = {
    [`${LABEL_PREFIX}/lni-address`]: facts.lniAddress,
    [`${LABEL_PREFIX}/lni-interface`]: facts.lniInterface,
  };
  const outpostId = facts.outpostArn?.split('/').pop();
  if (outpostId) labels[`${LABEL_PREFIX}/outpost-id`] = outpostId;
  return labels;
}

function kubeletFlags(p: JoinParams): string[] {
  const labels = Object.entries(p.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [`--node-ip=${p.nodeIp}`, ...(labels ? [`--node-labels=${labels}`] : []), ...p.kubeletExtraArgs];
}

/** bootstrap.sh would otherwise put its own --max-pods from eni-max-pods.txt, which counts the LNI's ENI. */
function bootstrapKubeletFlags(p: JoinParams): string[] {
  return [...kubeletFlags(p), ...(p.maxPods ? [`--max-pods=${p.maxPods}`] : [])];
}

/**
 * AL2 / RHEL: the arguments to /etc/eks/bootstrap.sh. Given endpoint and CA, bootstrap.sh skips DescribeCluster
 * and, without --service-ipv4-cidr, guesses cluster DNS from the VPC (10.100.0.10, or 172.20.0.10 in a 10.x VPC:
 * amazon-eks-ami 0ab8428 templates/al2/runtime/bootstrap.sh lines 455-488), so the service CIDR goes along.
 */
export function bootstrapArgs(p: JoinParams): string[] {
  return [
    p.clusterName,
    ...(p.apiServerEndpoint ? ['--apiserver-endpoint', p.apiServerEndpoint] : []),
    ...(p.certificateAuthority ? ['--b64-cluster-ca', p.certificateAuthority] : []),
    ...(p.serviceCidr ? ['--service-ipv4-cidr', p.serviceCidr] : []),
    ...(p.maxPods ? ['--use-max-pods', 'false'] : []),
    '--kubelet-extra-args',
    bootstrapKubeletFlags(p).join(' '),
  ];
}

/**
 * AL2023: the agent's NodeConfig drop-in (node.eks.aws/v1alpha1), merged by nodeadm after the user data's: only
 * what the agent owns (kubelet flags and max-pods) and the cluster fields its config sets; the rest (taints,
 * labels, kubelet config, the service CIDR) comes from the user's NodeConfig. nodeadm appends kubelet.flags and
 * deep-merges kubelet.config, and an empty field never clears the user's (nodeadm/internal/api/merge.go).
 */
export function nodeConfig(p: JoinParams): string {
  const cluster: Record<string, string> = { name: p.clusterName };
  if (p.apiServerEndpoint) cluster.apiServerEndpoint = p.apiServerEndpoint;
  if (p.certificateAuthority) cluster.certificateAuthority = p.certificateAuthority;
  if (p.serviceCidr) cluster.cidr = p.serviceCidr;
  return `# Written by outposts-node-agent\n${YAML.stringify({
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster,
      kubelet: { ...(p.maxPods ? { config: { maxPods: p.maxPods } } : {}), flags: kubeletFlags(p) },
    },
  })}`;
}
