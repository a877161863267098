// What `up` takes and gives.
import type { Ec2Step } from '../../model/plan-lni.ts';
import type { SnatStep } from '../../model/plan-snat.ts';
import type { HostStep, LanAddress } from '../../model/types.ts';

export interface UpOptions {
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface UpResult {
  instanceId: string;
  eniId?: string;
  lniName?: string;
  address?: LanAddress;
  ec2Steps: Ec2Step[];
  hostSteps: HostStep[];
  /** Pod SNAT (dry-run only: what it would change). */
  snatSteps?: SnatStep[];
  joined: boolean;
  dryRun: boolean;
}
