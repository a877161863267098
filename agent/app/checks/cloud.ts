// EC2-side checks: on an outpost, single-snapshot AMI, the subnet's LNI device index, the LNI's attachment and tags.
import { PreflightError } from '../../errors.ts';
import { fail, pass, warn } from '../../model/checks.ts';
import { lniTags, missingTags } from '../../model/tags.ts';
import { BOUNDS, type CheckDef, FactError } from './context.ts';

const RUN_UP = 'run `outposts-node-agent up` (journalctl -u outposts-node-agent shows why it did not)';
const outpostId = (arn: string) => arn.split('/').pop() ?? arn;

export const cloudChecks: CheckDef[] = [
  {
    id: 'placement.outpost',
    group: 'placement',
    title: 'the instance runs on an outpost (subnet OutpostArn)',
    timeoutMs: BOUNDS.imds + BOUNDS.ec2,
    async run(ctx) {
      const inst = await ctx.need(ctx.instance(), 'the instance identity (IMDS)');
      if (!inst.outpostArn) {
        const observed = 'not on an outpost (IMDS meta-data/outpost-arn is absent)';
        return ctx.config.preflight.requireOutpost
          ? fail(
              observed,
              'an Outposts server',
              "launch the node in the outpost's subnet (an LNI exists only there)",
            )
          : warn(observed, 'an Outposts server', 'preflight.requireOutpost=false: allowed for testing only');
      }
      const subnet = await ctx.instanceSubnet();
      if (subnet?.outpostArn !== inst.outpostArn)
        return fail(
          `subnet ${subnet?.subnetId ?? '(unknown)'} has OutpostArn ${subnet?.outpostArn ?? '(none)'}, IMDS says ${inst.outpostArn}`,
          inst.outpostArn,
          "the instance's subnet must be on the outpost IMDS names; check the launch template's subnet",
        );
      return pass(`${outpostId(inst.outpostArn)} (subnet ${subnet.subnetId}, ${subnet.availabilityZone})`);
    },
  },
  {
    id: 'ami.single-snapshot',
    group: 'ami',
    title: 'the AMI has exactly one EBS snapshot',
    timeoutMs: BOUNDS.imds + BOUNDS.ec2,
    async run(ctx) {
      const image = await ctx.image();
      if ('missing' in image)
        return warn(
          `${image.imageId} is not visible to DescribeImages (deregistered or not shared)`,
          '1 EBS snapshot',
          'cannot check this AMI; launch new nodes only from single-snapshot AMIs (EKS-optimized AL2023/AL2)',
        );
      const n = image.snapshots.length;
      const observed = `${image.imageId}${image.name ? ` (${image.name})` : ''}: ${n} EBS snapshot${n === 1 ? '' : 's'} (${image.snapshots.map((s) => s.device).join(', ') || 'none'})`;
      if (n === 1) return pass(observed, '1 EBS snapshot');
      return n > 1
        ? fail(
            observed,
            '1 EBS snapshot',
            'Outposts servers launch only single-snapshot AMIs (Bottlerocket maps two volumes): use an EKS-optimized AL2023 or AL2 AMI',
          )
        : warn(
            observed,
            '1 EBS snapshot',
            'an AMI without an EBS root snapshot is unusual here; check its block-device mappings',
          );
    },
  },
  {
    id: 'lni.subnet',
    group: 'lni',
    title: 'the LNI subnet has EnableLniAtDeviceIndex (equal to lni.deviceIndex)',
    timeoutMs: BOUNDS.imds + BOUNDS.ec2,
    async run(ctx) {
      try {
        const p = await ctx.placement();
        return pass(
          `${p.lniSubnet.subnetId} makes LNIs at device index ${p.deviceIndex}`,
          ctx.config.lni.deviceIndex === undefined ? undefined : `device index ${ctx.config.lni.deviceIndex}`,
        );
      } catch (err) {
        if (!(err instanceof FactError && err.cause instanceof PreflightError)) throw err;
        return fail(
          err.cause.message,
          `EnableLniAtDeviceIndex set${ctx.config.lni.deviceIndex ? ` to ${ctx.config.lni.deviceIndex}` : ''}`,
          'aws ec2 modify-subnet-attribute --subnet-id <lni-subnet> --enable-lni-at-device-index 1 (and lni.deviceIndex, lni.subnetId/subnetTags to match)',
        );
      }
    },
  },
  {
    id: 'lni.attached',
    group: 'lni',
    title: 'an ENI of the LNI subnet is attached at the LNI device index',
    timeoutMs: BOUNDS.imds + 3 * BOUNDS.ec2,
    async run(ctx) {
      const { deviceIndex, lniSubnet } = await ctx.need(ctx.placement(), 'the LNI subnet');
      const eni = await ctx.lni();
      const expected = `an ENI of ${lniSubnet.subnetId} attached at device index ${deviceIndex}`;
      if (!eni) return fail(`no ENI at device index ${deviceIndex}`, expected, RUN_UP);
      const seen = `${eni.networkInterfaceId} (${eni.macAddress}, ${eni.subnetId}) ${eni.attachment?.status} at device index ${deviceIndex}`;
      if (eni.subnetId !== lniSubnet.subnetId)
        return fail(
          seen,
          expected,
          `device index ${deviceIndex} holds an ENI of another subnet (an LNI is made only from ${lniSubnet.subnetId}): detach it, then ${RUN_UP}`,
        );
      if (eni.attachment?.status !== 'attached')
        return warn(seen, expected, 'the attachment has not completed; look again in a few seconds');
      return pass(seen);
    },
  },
  {
    id: 'lni.tags',
    group: 'lni',
    title: "the LNI carries no_manage=true and the agent's owner tag",
    timeoutMs: BOUNDS.imds + 3 * BOUNDS.ec2,
    async run(ctx) {
      const inst = await ctx.need(ctx.instance(), 'the instance identity (IMDS)');
      const eni = await ctx.need(ctx.lni(), 'the LNI (EC2)');
      if (!eni) return ctx.skipNoLni();
      const { Name: _name, ...want } = lniTags(inst.instanceId, ctx.config.cluster.name);
      const missing = missingTags(eni.tags, want);
      const show = (t: Record<string, string>) =>
        Object.entries(t)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
      if (!Object.keys(missing).length) return pass(show(want));
      return fail(
        `${eni.networkInterfaceId} lacks ${show(missing)}`,
        show(want),
        `without no_manage=true the VPC CNI may take the LNI over, without the owner tag release/sweep will not touch it: ${RUN_UP} (it adds them) or aws ec2 create-tags --resources ${eni.networkInterfaceId} --tags ${Object.entries(
          missing,
        )
          .map(([k, v]) => `Key=${k},Value=${v}`)
          .join(' ')}`,
      );
    },
  },
  {
    id: 'lni.delete-on-termination',
    group: 'lni',
    title: 'the LNI attachment has DeleteOnTermination',
    timeoutMs: BOUNDS.imds + 3 * BOUNDS.ec2,
    async run(ctx) {
      const eni = await ctx.need(ctx.lni(), 'the LNI (EC2)');
      if (!eni?.attachment) return ctx.skipNoLni();
      const seen = `${eni.attachment.attachmentId} DeleteOnTermination=${eni.attachment.deleteOnTermination}`;
      return eni.attachment.deleteOnTermination
        ? pass(seen)
        : fail(
            seen,
            'DeleteOnTermination=true',
            `otherwise the LNI outlives the instance (and holds the outpost's capacity) until sweep finds it: ${RUN_UP} or aws ec2 modify-network-interface-attribute --network-interface-id ${eni.networkInterfaceId} --attachment AttachmentId=${eni.attachment.attachmentId},DeleteOnTermination=true`,
          );
    },
  },
];
