// Phase `join`: kubelet pinned to the VPC address, the LNI's labels and a max-pods without the LNI — AL2/RHEL through
// bootstrap.sh now, AL2023 through the drop-in the AMI's nodeadm-run reads; skipped when nothing changed.
import type { AgentConfig } from '../../config/schema.ts';
import { maxPods } from '../../model/max-pods.ts';
import { lniLabels } from '../../model/plan-join.ts';
import { TAG_NO_MANAGE } from '../../model/tags.ts';
import type { EniFacts, InstanceFacts } from '../../model/types.ts';
import type { Ec2 } from '../../ports/ec2.ts';
import type { JoinParams } from '../../ports/joiner.ts';
import type { UpRun } from './run.ts';

/** kubelet max-pods: the AMI's own value with the LNI (and any other no_manage ENI) taken out. */
async function resolveMaxPods(
  config: AgentConfig,
  ec2: Ec2,
  inst: InstanceFacts,
  lni: EniFacts,
): Promise<number | undefined> {
  const setting = config.join.maxPods;
  if (setting !== 'auto') return setting === 'off' ? undefined : setting;
  const [type, unmanaged] = await Promise.all([
    ec2.describeInstanceType(inst.instanceType),
    ec2.describeNetworkInterfaces({
      filters: { 'attachment.instance-id': [inst.instanceId], [`tag:${TAG_NO_MANAGE}`]: ['true'] },
    }),
  ]);
  const reserved = new Set([lni.networkInterfaceId, ...unmanaged.map((e) => e.networkInterfaceId)]).size;
  return maxPods({ type, reservedEnis: reserved, prefixDelegation: config.join.prefixDelegation });
}

export async function joinPhase(run: UpRun): Promise<void> {
  const { config, deps } = run;
  const { log, clock } = deps;
  const method = run.need('joinMethod');
  const state = run.need('state');
  const inst = run.need('inst');
  run.set('joined', false);
  if (!method || !config.cluster.name) return;
  const params: JoinParams = {
    method,
    clusterName: config.cluster.name,
    apiServerEndpoint: config.cluster.apiServerEndpoint,
    certificateAuthority: config.cluster.certificateAuthority,
    serviceCidr: config.cluster.serviceCidr,
    nodeIp: inst.primaryIp,
    labels: {
      ...config.join.nodeLabels,
      ...lniLabels({
        lniAddress: run.need('address').address,
        lniInterface: run.need('desired').ifname,
        outpostArn: inst.outpostArn,
      }),
    },
    kubeletExtraArgs: config.join.kubeletExtraArgs,
  };
  if (
    method === 'bootstrap-sh' &&
    params.apiServerEndpoint &&
    params.certificateAuthority &&
    !params.serviceCidr
  )
    log.warn(
      { key: 'cluster.serviceCidr' },
      'join: cluster.serviceCidr is not set, so bootstrap.sh guesses cluster DNS (10.100.0.10, or 172.20.0.10 in a 10.x VPC); set it unless the cluster uses the default service CIDR',
    );
  const joiner = deps.joiner(state.join);
  if (await joiner.alreadyJoined(params)) return;
  params.maxPods = await resolveMaxPods(config, run.need('ec2'), inst, run.need('eni'));
  const outcome = await run.timed('join', { method, maxPods: params.maxPods }, () => joiner.join(params));
  if (outcome.pendingUntil === 'nodeadm-run')
    log.info(
      { path: outcome.path },
      'join: wrote the nodeadm drop-in; the AMI’s nodeadm-run.service merges it with the user data NodeConfig after cloud-final and starts kubelet',
    );
  if (outcome.pendingUntil === 'next-boot')
    log.warn(
      { path: outcome.path },
      'join: nodeadm-run.service already ran this boot; the changed drop-in (node IP, LNI labels, max-pods) applies at the next boot',
    );
  state.join = {
    method,
    nodeIp: params.nodeIp,
    labels: params.labels,
    at: new Date(clock.now()).toISOString(),
  };
  run.set('joined', true);
}
