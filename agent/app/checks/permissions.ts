// Permission checks: each EC2 call the agent makes, sent with DryRun=true and the parameters the agent would use.
import { fail, kebab, pass, warn } from '../../model/checks.ts';
import { EC2_ACTIONS, type Ec2ActionUse } from '../../model/ec2-actions.ts';
import { lniTags, missingTags, TAG_CREATED_AT, TAG_NO_MANAGE } from '../../model/tags.ts';
import type { DryRunProbe } from '../../ports/ec2.ts';
import { BOUNDS, type CheckDef, type DiagnoseContext, SkipCheck, within } from './context.ts';

async function probeFor(ctx: DiagnoseContext, use: Ec2ActionUse): Promise<DryRunProbe> {
  const { action } = use;
  switch (action) {
    case 'DescribeSubnets':
    case 'DescribeNetworkInterfaces':
    case 'DescribeImages':
    case 'DescribeInstances':
    case 'DescribeInstanceTypes':
      return { action };
    case 'CreateNetworkInterface': {
      const inst = await ctx.need(ctx.instance(), 'the instance identity (IMDS)');
      const { lniSubnet } = await ctx.need(ctx.placement(), 'the LNI subnet');
      const tags = {
        ...lniTags(inst.instanceId, ctx.config.cluster.name),
        [TAG_CREATED_AT]: new Date(ctx.deps.clock.now()).toISOString(),
      };
      return {
        action,
        subnetId: lniSubnet.subnetId,
        description: `LNI of ${inst.instanceId} (outposts-node-agent)`,
        tags,
      };
    }
  }
  // The rest act on the LNI: probed on the real one, so tag conditions in the policy are evaluated as for `up`.
  const inst = await ctx.need(ctx.instance(), 'the instance identity (IMDS)');
  const eni = await ctx.need(ctx.lni(), 'the LNI (EC2)');
  const attachmentId = eni?.attachment?.attachmentId;
  if (!eni || !attachmentId)
    throw new SkipCheck('no LNI is attached yet: this permission is probed on it once `up` has attached one');
  const eniId = eni.networkInterfaceId;
  switch (action) {
    case 'AttachNetworkInterface':
      return { action, eniId, instanceId: inst.instanceId, deviceIndex: eni.attachment?.deviceIndex ?? 1 };
    case 'ModifyNetworkInterfaceAttribute':
      return { action, eniId, attachmentId };
    case 'CreateTags': {
      const missing = missingTags(eni.tags, lniTags(inst.instanceId, ctx.config.cluster.name));
      return { action, eniId, tags: Object.keys(missing).length ? missing : { [TAG_NO_MANAGE]: 'true' } };
    }
    case 'DetachNetworkInterface':
      return { action, attachmentId };
    case 'DeleteNetworkInterface':
      return { action, eniId };
  }
}

const permissionCheck = (use: Ec2ActionUse): CheckDef => ({
  id: `permissions.${kebab(use.action)}`,
  group: 'permissions',
  title: `ec2:${use.action} allowed (DryRun; used by ${use.usedBy.join(', ')})`,
  timeoutMs: BOUNDS.imds + (use.onLni ? 3 : 2) * BOUNDS.ec2,
  async run(ctx) {
    const probe = await probeFor(ctx, use);
    const ec2 = await ctx.ec2();
    const v = await within(BOUNDS.ec2, 'ec2', `DryRun ${use.action}`, ec2.dryRun(probe));
    const expected = 'DryRunOperation (allowed)';
    if (v.outcome === 'allowed') return pass('DryRunOperation (allowed)');
    if (v.outcome === 'denied')
      return fail(
        `UnauthorizedOperation: the node role may not call ec2:${use.action}${use.onLni ? ' on this LNI' : ''}`,
        expected,
        `grant ec2:${use.action} to the node role: attach packaging/iam/node-policy.json (README "IAM policy"); \`aws sts decode-authorization-message\` explains the denial`,
      );
    return warn(
      `${v.code ?? 'error'}: ${v.message ?? 'no verdict'}`,
      expected,
      'EC2 gave no permission verdict for the dry run; check the EC2 checks above (credentials, reachability)',
    );
  },
});

export const permissionChecks: CheckDef[] = EC2_ACTIONS.map(permissionCheck);
