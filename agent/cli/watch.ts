// `watch`: runs until SIGTERM/SIGINT, repairing drift of the LNI host configuration.
import { buildDeps } from '../app/deps.ts';
import { watch } from '../app/watch.ts';
import { commandContext, type GlobalArgs, withStopSignal } from './common.ts';

export async function run(args: GlobalArgs): Promise<void> {
  const ctx = await commandContext(args);
  await withStopSignal((signal) => watch(ctx.config, buildDeps(ctx.config, ctx.log), { signal }));
}
