// `sweep`: flags → options → app/sweep; prints each deletion (or would-be deletion) and a summary.
import { buildDeps } from '../app/deps.ts';
import { sweep } from '../app/sweep.ts';
import { commandContext, type GlobalArgs } from './common.ts';

export async function run(args: GlobalArgs & { region?: string; json?: boolean }): Promise<void> {
  const ctx = await commandContext(args);
  const result = await sweep(ctx.config, buildDeps(ctx.config, ctx.log), {
    dryRun: args.dryRun,
    region: args.region,
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ...result, verdicts: undefined }, null, 2)}\n`);
    return;
  }
  const doomed = result.verdicts.filter((v) => v.delete);
  const lines = doomed.map((v) => `${args.dryRun ? 'would delete' : 'deleted'} ${v.eniId} (${v.reason})`);
  lines.push(
    `examined ${result.examined} tagged unattached ENIs: ${doomed.length} orphans, ${result.kept} kept`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
