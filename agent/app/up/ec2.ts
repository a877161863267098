// Phase `ec2`: the plan's EC2 steps in order, each recorded in the state file before the next (a crash resumes), the
// fence written by MAC before the attach.
import { Ec2Error } from '../../errors.ts';
import { predictKernelName } from '../../model/fences.ts';
import { TAG_CREATED_AT } from '../../model/tags.ts';
import type { EniFacts } from '../../model/types.ts';
import { applyFences } from '../fence.ts';
import type { UpRun } from './run.ts';

/** Before the attach, so no network manager ever sees the LNI unfenced. AL2 fences the kernel name it will get. */
async function fenceBeforeAttach(run: UpRun, mac: string): Promise<void> {
  const { deps } = run;
  const distro = run.need('distro');
  const state = run.need('state');
  const seen = state.fences?.kernelNames ?? [];
  const predicted =
    distro === 'al2' ? [predictKernelName((await deps.hostNet.links()).map((l) => l.name))] : [];
  await run.timed('fence', { mac, predicted }, () =>
    applyFences(
      deps,
      distro,
      run.identity(mac, [...new Set([...seen, ...predicted])]),
      state,
      () => run.save(),
      seen,
    ),
  );
}

export async function ec2Phase(run: UpRun): Promise<void> {
  const { config, deps } = run;
  const inst = run.need('inst');
  const ec2 = run.need('ec2');
  const state = run.need('state');
  const decision = run.need('decision');
  const deviceIndex = run.need('placement').deviceIndex;
  let eni = decision.eni;
  let attachmentId = eni?.attachment?.attachmentId;
  const record = () => {
    if (!eni) return;
    state.eni = {
      id: eni.networkInterfaceId,
      mac: eni.macAddress,
      subnetId: eni.subnetId,
      deviceIndex,
      attachmentId,
      createdByAgent: decision.createdByAgent,
    };
  };
  record();
  for (const step of decision.steps) {
    run.checkpoint(step.kind);
    const known = (): EniFacts => {
      if (!eni) throw new Ec2Error(`internal: ${step.kind} before the ENI exists`);
      return eni;
    };
    const id = () => known().networkInterfaceId;
    await run.timed(step.kind, { eni: eni?.networkInterfaceId }, async () => {
      switch (step.kind) {
        case 'create-eni':
          state.pendingCreate = {
            clientToken: step.clientToken,
            at: step.tags[TAG_CREATED_AT] ?? new Date(deps.clock.now()).toISOString(),
          };
          await run.save();
          eni = await ec2.createNetworkInterface({
            subnetId: step.subnetId,
            description: step.description,
            tags: step.tags,
            clientToken: step.clientToken,
          });
          state.pendingCreate = undefined;
          break;
        case 'attach-eni':
          await fenceBeforeAttach(run, known().macAddress);
          attachmentId = await ec2.attachNetworkInterface({
            eniId: id(),
            instanceId: inst.instanceId,
            deviceIndex: step.deviceIndex,
          });
          break;
        case 'wait-attached':
          eni = await ec2.waitForAttached({ eniId: id(), timeoutSeconds: config.lni.attachTimeoutSeconds });
          attachmentId = eni.attachment?.attachmentId ?? attachmentId;
          break;
        case 'set-delete-on-termination':
          if (!attachmentId) throw new Ec2Error(`no attachment id for ${id()}`);
          await ec2.setDeleteOnTermination({ eniId: id(), attachmentId, value: true });
          break;
        case 'create-tags':
          await ec2.createTags({ resourceIds: [step.eniId], tags: step.tags });
          break;
        case 'delete-eni':
          await ec2.deleteNetworkInterface({ eniId: step.eniId });
          break;
      }
    });
    record();
    await run.save();
  }
  if (!eni) throw new Ec2Error('no LNI after applying the plan');
  run.set('eni', eni);
}
