// diagnose's effects: the agent's Deps with tighter IMDS/EC2 timeouts (no retries to wait out) and /proc.
import { SdkEc2 } from '../adapters/ec2-sdk.ts';
import { SdkImds } from '../adapters/imds-sdk.ts';
import { ProcProcesses } from '../adapters/processes-proc.ts';
import type { AgentConfig } from '../config/schema.ts';
import type { Log } from '../log.ts';
import type { DiagnoseDeps } from './checks/context.ts';
import { buildDeps } from './deps.ts';

export function buildDiagnoseDeps(config: AgentConfig, log: Log): DiagnoseDeps {
  return {
    ...buildDeps(config, log),
    imds: new SdkImds({ timeoutMs: 1500, retries: 0 }),
    ec2: (region) => new SdkEc2({ region, maxAttempts: 2, requestTimeoutMs: 2500 }),
    processes: new ProcProcesses(),
  };
}
