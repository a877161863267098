// Port: joining the node to EKS (AL2/RHEL bootstrap.sh, AL2023 the drop-in the AMI's nodeadm-run reads).
import type { JoinParams } from '../model/plan-join.ts';

export type { JoinParams };

/** What the last successful join was given (the state file keeps it). */
export interface JoinRecord {
  method: string;
  nodeIp: string;
  labels: Record<string, string>;
}

export interface JoinOutcome {
  /** Something was run or written. */
  changed: boolean;
  /** The file written (AL2023's drop-in). */
  path?: string;
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
