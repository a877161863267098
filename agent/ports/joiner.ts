// Port: joining the node to EKS (AL2/RHEL bootstrap.sh, AL2023 the drop-in the AMI's nodeadm-run reads).
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

export interface JoinOutcome {
  /** Something was run or written. */
  changed: boolean;
  /**
   * When the join takes effect, if not now: `nodeadm-run` (AL2023: nodeadm-run.service reads the drop-in after
   * cloud-final), `next-boot` (nodeadm-run already ran this boot).
   */
  pendingUntil?: 'nodeadm-run' | 'next-boot';
}

export interface Joiner {
  /** True when kubelet already runs with these settings (the join is then skipped). */
  alreadyJoined(params: JoinParams): Promise<boolean>;
  join(params: JoinParams): Promise<JoinOutcome>;
}
