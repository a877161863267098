// `up --dry-run`: what the plan's EC2 steps would be followed by on the host and in the nat table (static addressing
// on an LNI that is already there: anything else can only be known once it is attached and addressed).
import { parseCidr } from '../../model/ipv4.ts';
import { desiredHost, diffHost } from '../../model/plan-host.ts';
import { hostPlanInput, observeFor } from '../host-plan.ts';
import { ensureSnat } from '../snat.ts';
import type { UpRun } from './run.ts';
import type { UpResult } from './types.ts';

export async function dryRunResult(run: UpRun): Promise<UpResult> {
  const { config, deps } = run;
  const inst = run.need('inst');
  const { eni, steps } = run.need('decision');
  const result: UpResult = {
    instanceId: inst.instanceId,
    eniId: eni?.networkInterfaceId,
    ec2Steps: steps,
    hostSteps: [],
    joined: false,
    dryRun: true,
  };
  const link = eni && (await deps.hostNet.links()).find((l) => l.mac === eni.macAddress);
  if (!link || config.addressing.mode !== 'static') {
    deps.log.info(
      { addressing: config.addressing.mode },
      'would configure the LNI on the host once it is attached and addressed',
    );
    return result;
  }
  const { address, prefixLength } = parseCidr(config.addressing.address);
  const d = desiredHost(
    hostPlanInput(config, link.name, {
      address,
      prefixLength,
      gateway: config.addressing.gateway,
      source: 'static',
    }),
  );
  result.hostSteps = diffHost(await observeFor(deps.hostNet, d), d);
  for (const s of result.hostSteps) deps.log.info({ step: s }, `would ${s.kind}`);
  const { steps: snatSteps } = await ensureSnat(
    config,
    deps,
    {
      host: d,
      vpcCidrs: run.need('vpcCidrs'),
      subnetCidr: run.need('placement').instanceSubnet.cidrBlock,
      recorded: run.need('state').snat,
    },
    true,
  );
  return { ...result, snatSteps, lniName: d.ifname };
}
