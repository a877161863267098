// `up`: flags → options → app/up; prints a one-line summary (or JSON) on stdout, logs on stderr.
import { buildDeps } from '../app/deps.ts';
import { up } from '../app/up.ts';
import { describeSnatStep } from '../model/plan-snat.ts';
import { commandContext, type GlobalArgs, withStopSignal } from './common.ts';

export async function run(args: GlobalArgs & { json?: boolean }): Promise<void> {
  const ctx = await commandContext(args);
  await withStopSignal(
    async (signal) => {
      const result = await up(ctx.config, buildDeps(ctx.config, ctx.log), {
        dryRun: args.dryRun,
        signal,
      });
      if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.dryRun)
        process.stdout.write(
          [
            ...result.ec2Steps.map((s) => `would ${s.kind}`),
            ...result.hostSteps.map((s) => `would ${s.kind} ${JSON.stringify(s)}`),
            ...(result.snatSteps ?? []).map((s) => `would ${describeSnatStep(s)}`),
          ].join('\n') +
            (result.ec2Steps.length + result.hostSteps.length + (result.snatSteps?.length ?? 0)
              ? '\n'
              : 'nothing to do\n'),
        );
      else
        process.stdout.write(
          `${result.instanceId}: LNI ${result.eniId} is ${result.lniName} with ${result.address?.address}/${result.address?.prefixLength}\n`,
        );
    },
    () => ctx.log.warn('signal received: finishing the current step, then stopping'),
  );
}
