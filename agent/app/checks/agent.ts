// Agent checks: the state file agrees with what is live, the last `up` result, and no dead process holds the lock.
import { fail, pass, warn } from '../../model/checks.ts';
import { BOUNDS, type CheckDef } from './context.ts';

const RUN_UP =
  'run `outposts-node-agent up` to reconcile (journalctl -u outposts-node-agent for earlier runs)';

export const agentChecks: CheckDef[] = [
  {
    id: 'agent.state',
    group: 'agent',
    title: 'the state file agrees with what is live',
    timeoutMs: BOUNDS.imds + 3 * BOUNDS.ec2 + 2 * BOUNDS.host,
    async run(ctx) {
      const path = ctx.config.paths.stateFile;
      const state = await ctx.state();
      if (!state)
        return warn(
          `no state file at ${path}`,
          'a state file written by up',
          `up has not completed on this node: ${RUN_UP}`,
        );
      const problems: string[] = [];
      const inst = await ctx.instance().catch(() => undefined);
      if (inst && state.instanceId !== inst.instanceId)
        problems.push(`it belongs to ${state.instanceId}, this is ${inst.instanceId}`);
      const live = await ctx.lni().catch(() => undefined);
      const slot = await ctx.lniSlot().catch(() => undefined);
      const attached = live?.networkInterfaceId ?? slot?.eniId;
      if (state.eni && attached && attached !== state.eni.id)
        problems.push(`it records ${state.eni.id}, ${attached} is attached`);
      else if (state.eni && slot && slot.mac !== state.eni.mac)
        problems.push(`it records MAC ${state.eni.mac}, the LNI slot has ${slot.mac}`);
      const link = await ctx.lniLink().catch(() => undefined);
      if (state.host && link && link.name !== state.host.lniName)
        problems.push(`it records interface ${state.host.lniName}, the LNI is ${link.name}`);
      const observed = await ctx.observed().catch(() => undefined);
      const a = state.host?.address;
      if (
        a &&
        observed &&
        !observed.addresses.some((x) => x.ifname === state.host?.ifname && x.address === a.address)
      )
        problems.push(
          `it records ${a.address}/${a.prefixLength} on ${state.host?.ifname}, which is not there`,
        );
      const summary = [state.eni?.id, state.host?.ifname, a && `${a.address}/${a.prefixLength}`]
        .filter(Boolean)
        .join(', ');
      if (!problems.length) return pass(`${path}: ${summary || 'nothing recorded yet'}`);
      return fail(
        `${path}: ${problems.join('; ')}`,
        'the state file matches the live LNI',
        state.instanceId !== inst?.instanceId && inst
          ? 'the state file came from another instance (a copied volume or AMI): move it aside, then run up'
          : `release and sweep act on what it records: ${RUN_UP}`,
      );
    },
  },
  {
    id: 'agent.last-up',
    group: 'agent',
    title: 'the last `up` succeeded',
    timeoutMs: BOUNDS.files,
    async run(ctx) {
      const last = (await ctx.state())?.lastUp;
      if (!last) return warn('no `up` has completed on this node', 'a successful up', RUN_UP);
      const when = `${last.at} (${last.durationMs} ms)`;
      return last.ok
        ? pass(`ok at ${when}`)
        : fail(
            `failed at ${when}: ${last.message ?? 'no message'}`,
            'ok',
            'fix the cause above, then: systemctl restart outposts-node-agent (journalctl -u outposts-node-agent has the full log)',
          );
    },
  },
  {
    id: 'agent.lock',
    group: 'agent',
    title: 'the lock is free or held by a running agent',
    timeoutMs: BOUNDS.files,
    async run(ctx) {
      const { pid, alive } = await ctx.lock();
      if (pid === undefined) return pass('free');
      if (alive) return pass(`held by running pid ${pid} (a run in progress)`);
      return warn(
        `held by pid ${pid}, which is not running`,
        'free, or held by a running agent',
        `a run died holding ${ctx.config.paths.lockFile}; the next run takes it over (or remove the file)`,
      );
    },
  },
];
