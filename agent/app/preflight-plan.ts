// `up`'s preflight: before the first change to EC2, every planned call is sent with DryRun=true. A denial refuses the
// run (exit 11) with nothing changed, instead of failing half-way (an ENI created but never attached).

import { PreflightError } from '../errors.ts';
import type { Log } from '../log.ts';
import { probesForSteps } from '../model/ec2-actions.ts';
import type { Ec2Step } from '../model/plan-lni.ts';
import type { DryRunVerdict, Ec2 } from '../ports/ec2.ts';

export async function preflightPlan(
  log: Log,
  ec2: Ec2,
  instanceId: string,
  steps: readonly Ec2Step[],
): Promise<void> {
  const { probes, unprobed } = probesForSteps(steps, instanceId);
  if (!probes.length) return;
  const verdicts = await Promise.all(
    probes.map((p) =>
      ec2
        .dryRun(p)
        .catch(
          (err: unknown): DryRunVerdict => ({ outcome: 'inconclusive', message: (err as Error).message }),
        ),
    ),
  );
  const denied: string[] = [];
  verdicts.forEach((v, i) => {
    const action = probes[i]?.action;
    if (v.outcome === 'denied') denied.push(`ec2:${action}: ${v.message ?? v.code}`);
    if (v.outcome === 'inconclusive')
      // No verdict (EC2 slow or erring): the real call will meet the same EC2 with its retries.
      log.warn(
        { action, code: v.code, message: v.message },
        `preflight: no permission verdict for ${action}`,
      );
  });
  if (denied.length)
    throw new PreflightError(
      `preflight: the node role may not make the EC2 calls this run needs (nothing was changed):\n${denied
        .map((d) => `  - ${d}`)
        .join(
          '\n',
        )}\n  hint: attach packaging/iam/node-policy.json to the node role (README "IAM policy"); \`aws sts decode-authorization-message\` explains a denial; preflight.enabled=false skips this check`,
      { denied },
    );
  log.info(
    { probes: probes.map((p) => p.action), ...(unprobed.length ? { unprobed } : {}) },
    'preflight: the planned EC2 calls are allowed',
  );
}
