// Phase `discover`: the instance (IMDSv2), its state file, the subnets and this agent's ENIs (EC2), the distro, the
// VPC's CIDRs; refusals that need them (a LAN range inside the VPC, no join method for the distro).
import { ConfigError } from '../../errors.ts';
import { joinMethod } from '../../model/plan-join.ts';
import { emptyState } from '../../model/state.ts';
import { vpcOverlaps } from '../../model/vpc-overlap.ts';
import { discoverEnis, discoverInstance, discoverPlacement, ownedEnis } from '../discover.ts';
import { detectDistro } from '../distro.ts';
import type { UpRun } from './run.ts';

export async function discoverPhase(run: UpRun): Promise<void> {
  const { config, deps } = run;
  const loaded = await deps.state.load();
  const inst = await run.timed('discover-instance', {}, () => discoverInstance(deps.imds));
  if (loaded && loaded.instanceId !== inst.instanceId)
    throw new ConfigError([
      { key: 'paths.stateFile', message: `belongs to instance ${loaded.instanceId}, not ${inst.instanceId}` },
    ]);
  const state = loaded ?? emptyState(inst.instanceId, new Date(deps.clock.now()).toISOString());
  state.region = inst.region;
  run.set('state', state);
  run.set('inst', inst);

  const ec2 = deps.ec2(inst.region);
  run.set('ec2', ec2);
  // The owned-ENI query needs only the instance id: it runs beside the subnet checks (one EC2 round trip, which
  // through an Outposts service link is tens of ms or more, instead of two). A refusal wastes one read.
  const owned = ownedEnis(inst, ec2);
  owned.catch(() => {}); // awaited below; a refusal above must not leave it unhandled
  const [placement, { distro }] = await Promise.all([
    run.timed('discover-placement', {}, () => discoverPlacement(config, inst, ec2)),
    detectDistro(deps.files),
  ]);
  const { vpcCidrs } = inst;
  run.set('placement', placement);
  run.set('distro', distro);
  run.set('vpcCidrs', vpcCidrs);

  // A LAN-side range inside the VPC would send VPC traffic to the LAN gateway: refused before anything changes.
  const overlaps = vpcOverlaps(
    [
      { key: 'routes.onPrem', cidrs: config.routes.onPrem },
      { key: 'snat.destinations', cidrs: config.snat.destinations ?? [] },
    ],
    [...new Set([...(vpcCidrs ?? []), placement.instanceSubnet.cidrBlock])],
  );
  if (overlaps.length) throw new ConfigError(overlaps, 'configuration overlaps the VPC');
  const method = config.join.mode === 'none' ? undefined : joinMethod(config.join.mode, distro);
  if (config.join.mode !== 'none' && !method)
    throw new ConfigError([
      {
        key: 'join.mode',
        message: `cannot pick a join method on distro '${distro}'; set bootstrap-sh, nodeadm or none`,
        value: 'auto',
      },
    ]);
  run.set('joinMethod', method);
  run.set('enis', await discoverEnis(inst, placement.deviceIndex, ec2, owned));
}
