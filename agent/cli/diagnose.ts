// `diagnose` and `preflight`: run the checks, print a table (colour only on a TTY) or --json; exit 8 when one failed.
import { diagnose, type preflightReport } from '../app/diagnose.ts';
import { buildDiagnoseDeps } from '../app/diagnose-deps.ts';
import { ExitCode } from '../errors.ts';
import { renderReport } from '../model/checks-render.ts';
import { commandContext, type GlobalArgs } from './common.ts';

export async function runReport(
  args: GlobalArgs & { json?: boolean },
  which: typeof diagnose | typeof preflightReport,
): Promise<number> {
  // A broken config is the moment diagnose is needed most: it reports it (config.valid) and runs the rest.
  const ctx = await commandContext(args, { lenient: true });
  const report = await which(ctx.config, buildDiagnoseDeps(ctx.config, ctx.log), ctx.problems);
  const tty = Boolean(process.stdout.isTTY);
  process.stdout.write(
    args.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderReport(report, { colour: tty && !process.env.NO_COLOR, width: process.stdout.columns }),
  );
  return report.ok ? ExitCode.ok : ExitCode.checksFailed;
}

export function run(args: GlobalArgs & { json?: boolean }): Promise<number> {
  return runReport(args, diagnose);
}
