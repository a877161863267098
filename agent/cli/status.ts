// `status`: prints the state file and what is live, as a table or JSON.
import { buildDeps } from '../app/deps.ts';
import { renderStatus, status } from '../app/status.ts';
import { commandContext, type GlobalArgs, warnProblems } from './common.ts';

export async function run(args: GlobalArgs & { json?: boolean }): Promise<void> {
  const ctx = await commandContext(args, { lenient: true });
  warnProblems(ctx, 'status');
  const report = await status(ctx.config, buildDeps(ctx.config, ctx.log));
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
}
