// Port: joining the node to EKS (AL2/RHEL bootstrap.sh, AL2023 nodeadm).
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

export interface Joiner {
  /** True when kubelet already runs with these settings (the join is then skipped). */
  alreadyJoined(params: JoinParams): Promise<boolean>;
  join(params: JoinParams): Promise<void>;
}
