// Phase `plan`: the LNI decision (adopt / re-attach / create) and its EC2 steps, then their DryRun probes; a dry run
// ends here with what it would do on the host too.
import { PreflightError } from '../../errors.ts';
import { LniConflict, planLni } from '../../model/plan-lni.ts';
import { preflightPlan } from '../preflight-plan.ts';
import { dryRunResult } from './dry-run.ts';
import type { UpRun } from './run.ts';

export async function planPhase(run: UpRun): Promise<'continue' | 'stop'> {
  const { config, deps } = run;
  const inst = run.need('inst');
  const placement = run.need('placement');
  let decision: ReturnType<typeof planLni>;
  try {
    decision = planLni({
      instance: inst,
      subnet: placement.lniSubnet,
      deviceIndex: placement.deviceIndex,
      cluster: config.cluster.name,
      enis: run.need('enis'),
      state: run.need('state'),
      now: new Date(deps.clock.now()).toISOString(),
    });
  } catch (err) {
    if (err instanceof LniConflict) throw new PreflightError(err.message);
    throw err;
  }
  run.set('decision', decision);
  deps.log.info(
    {
      source: decision.source,
      eni: decision.eni?.networkInterfaceId,
      steps: decision.steps.map((s) => s.kind),
    },
    'LNI plan',
  );
  // Placement and the LNI subnet were checked by discovery; here, whether the role may make the planned calls.
  if (config.preflight.enabled && decision.steps.length)
    await preflightPlan(deps.log, deps.ec2(inst.region, 'checks'), inst.instanceId, decision.steps);
  if (!run.opts.dryRun) return 'continue';
  for (const s of decision.steps) deps.log.info({ step: s }, `would ${s.kind}`);
  run.set('result', await dryRunResult(run));
  return 'stop';
}
