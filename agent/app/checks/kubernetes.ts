// Kubernetes checks without the API server: kubelet runs, its node IP is eth0's address, the agent's labels are set.
import { fail, pass, skip, warn } from '../../model/checks.ts';
import { KUBELET_FLAG_SOURCES } from '../../model/kubelet-flags.ts';
import { BOUNDS, type CheckDef, type DiagnoseContext } from './context.ts';

const NO_FLAGS = `no kubelet process and none of ${KUBELET_FLAG_SOURCES.map((s) => s.path).join(', ')}`;

/** join.mode none and never joined: kubelet is not this agent's business. */
async function notJoining(ctx: DiagnoseContext): Promise<boolean> {
  const state = await ctx.state().catch(() => undefined);
  return ctx.config.join.mode === 'none' && !state?.join;
}

export const kubernetesChecks: CheckDef[] = [
  {
    id: 'kubernetes.kubelet',
    group: 'kubernetes',
    title: 'kubelet is running',
    timeoutMs: BOUNDS.files,
    async run(ctx) {
      const k = await ctx.kubelet();
      if (k.pid) return pass(`kubelet pid ${k.pid}`);
      if (await notJoining(ctx)) return skip('join.mode is none and the agent never joined this node');
      return fail(
        'no kubelet process in this network namespace',
        'kubelet running',
        'systemctl status kubelet; journalctl -u kubelet -n 50 (the join: journalctl -u outposts-node-agent)',
      );
    },
  },
  {
    id: 'kubernetes.node-ip',
    group: 'kubernetes',
    title: "kubelet's node IP is the primary (eth0) address",
    timeoutMs: BOUNDS.imds + BOUNDS.files,
    async run(ctx) {
      const k = await ctx.kubelet();
      if (!k.settings) return (await notJoining(ctx)) ? skip('join.mode is none') : skip(NO_FLAGS);
      const state = await ctx.state().catch(() => undefined);
      const expected = await ctx.instance().then(
        (i) => i.primaryIp,
        (err: unknown) => state?.join?.nodeIp ?? Promise.reject(err),
      );
      const seen = `--node-ip=${k.settings.nodeIp ?? '(unset)'} (${k.source})`;
      if (k.settings.nodeIp === expected) return pass(seen, expected);
      const lniAddress = state?.host?.address.address;
      if (!k.settings.nodeIp)
        return warn(
          seen,
          expected,
          `without --node-ip kubelet picks an address itself and may advertise the LNI's: add --node-ip=${expected} (the agent's join does)`,
        );
      return fail(
        seen,
        expected,
        k.settings.nodeIp === lniAddress
          ? 'kubelet advertises the LAN address: the control plane in the Region cannot reach it; rejoin with --node-ip set to the eth0 address'
          : `kubelet advertises an address that is not eth0's: rejoin with --node-ip=${expected}`,
      );
    },
  },
  {
    id: 'kubernetes.node-labels',
    group: 'kubernetes',
    title: "kubelet registers the agent's node labels",
    timeoutMs: BOUNDS.files,
    async run(ctx) {
      const k = await ctx.kubelet();
      if (!k.settings) return (await notJoining(ctx)) ? skip('join.mode is none') : skip(NO_FLAGS);
      const state = await ctx.state().catch(() => undefined);
      const want = state?.join?.labels ?? ctx.config.join.nodeLabels;
      const missing = Object.entries(want).filter(([key, v]) => k.settings?.labels[key] !== v);
      const show = (pairs: [string, string][]) => pairs.map(([key, v]) => `${key}=${v}`).join(', ');
      if (!missing.length)
        return pass(
          `${Object.keys(want).length ? show(Object.entries(want)) : 'no labels expected'} (${k.source})`,
        );
      return fail(
        `${k.source} lacks ${show(missing)}`,
        show(Object.entries(want)),
        "kubelet runs without the labels the agent's join set (MetalLB and schedulers select on them): look for user data or a NodeConfig that overrides --node-labels, then restart kubelet",
      );
    },
  },
];
