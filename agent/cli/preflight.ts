// `preflight`: the checks that can run before `up` (placement, AMI, LNI subnet, permissions); exit 8 when one failed.
import { preflightReport } from '../app/diagnose.ts';
import type { GlobalArgs } from './common.ts';
import { runReport } from './diagnose.ts';

export function run(args: GlobalArgs & { json?: boolean }): Promise<number> {
  return runReport(args, preflightReport);
}
