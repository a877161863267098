// Global flags shared by every command, and turning them into loaded config + logger.
import { type ConfigProblem, loadConfig, loadConfigLenient } from '../config/loader.ts';
import type { AgentConfig } from '../config/schema.ts';
import { createLogger, type Log, type LogFormat } from '../log.ts';

export interface GlobalArgs {
  config?: string;
  set?: string[];
  dryRun: boolean;
  logFormat: LogFormat;
  logLevel: string;
}

export interface CommandContext {
  config: AgentConfig;
  /** With `lenient`: what is wrong with the config as given (those keys have their defaults in `config`). */
  problems: ConfigProblem[];
  log: Log;
  args: GlobalArgs;
  env: NodeJS.ProcessEnv;
}

/**
 * The logger and the config. Commands that change things refuse a config with a problem (exit 2); `lenient` ones
 * (diagnose, preflight, release, status, config) work on with the defaults for the bad keys and say so.
 */
export async function commandContext(
  args: GlobalArgs,
  opts: { lenient?: boolean } = {},
): Promise<CommandContext> {
  const log = await createLogger({ format: args.logFormat, level: args.logLevel });
  const sources = {
    file: args.config,
    explicitFile: args.config !== undefined,
    env: process.env,
    sets: args.set ?? [],
  };
  if (!opts.lenient) return { config: await loadConfig(sources), problems: [], log, args, env: process.env };
  const { config, problems } = await loadConfigLenient(sources);
  return { config, problems, log, args, env: process.env };
}

/** release and status: a config mistake must not stop them (release runs at shutdown); they say what they ignored. */
export function warnProblems(ctx: CommandContext, command: string): void {
  if (ctx.problems.length)
    ctx.log.warn(
      { problems: ctx.problems },
      `${command}: the configuration has problems (${ctx.problems.map((p) => p.key).join(', ')}); using the defaults for those keys`,
    );
}

/**
 * Runs `fn` with an AbortSignal that SIGTERM/SIGINT abort. The handlers stay installed until `fn` ends (`on`, not
 * `once`), so a second signal cannot fall through to the default action or to execa's signal-exit re-raise.
 */
export async function withStopSignal<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  onSignal?: () => void,
): Promise<T> {
  const controller = new AbortController();
  const stop = () => {
    if (!controller.signal.aborted) onSignal?.();
    controller.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
