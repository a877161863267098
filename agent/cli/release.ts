// `release`: flags → options → app/release; prints what was undone.
import { buildDeps } from '../app/deps.ts';
import { releaseOnStop } from '../app/lifecycle-hook.ts';
import { type ReleaseReason, release } from '../app/release.ts';
import { commandContext, type GlobalArgs, warnProblems, withStopSignal } from './common.ts';

export async function run(args: GlobalArgs & { reason: ReleaseReason; json?: boolean }): Promise<void> {
  const ctx = await commandContext(args, { lenient: true });
  warnProblems(ctx, 'release');
  await withStopSignal(async (signal) => {
    const deps = buildDeps(ctx.config, ctx.log);
    const result =
      args.reason === 'stop' && !args.dryRun
        ? await releaseOnStop(ctx.config, deps, { signal })
        : await release(ctx.config, deps, { reason: args.reason, dryRun: args.dryRun, signal });
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const verb = args.dryRun ? 'would ' : '';
      const lines =
        result.action === 'nothing'
          ? ['nothing to release']
          : result.action === 'keep'
            ? [`kept the LNI (policy for ${result.terminating ? 'termination' : args.reason})`]
            : [
                ...result.hostSteps.map((s) => `${verb}${s.kind} ${JSON.stringify(s)}`),
                ...result.filesRemoved.map((f) => `${verb}remove ${f}`),
                ...(result.detachedEni ? [`${verb}detach ${result.detachedEni}`] : []),
                ...(result.deletedEni ? [`${verb}delete ${result.deletedEni}`] : []),
              ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  });
}
