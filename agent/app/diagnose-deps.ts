// diagnose's effects: the agent's Deps with tighter IMDS/EC2 timeouts (no retries to wait out).
import { HttpImds } from '../adapters/imds-http.ts';
import type { AgentConfig } from '../config/schema.ts';
import type { Log } from '../log.ts';
import type { DiagnoseDeps } from './checks/context.ts';
import { buildDeps } from './deps.ts';

export function buildDiagnoseDeps(config: AgentConfig, log: Log): DiagnoseDeps {
  const base = buildDeps(config, log);
  return {
    ...base,
    imds: new HttpImds({ timeoutMs: 1500, retries: 0 }),
    ec2: (region) => base.ec2(region, 'checks'),
  };
}
