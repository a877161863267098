// Global flags shared by every command, and turning them into loaded config + logger.
import type { Argv } from 'yargs';
import { loadConfig } from '../config/loader.ts';
import type { AgentConfig } from '../config/schema.ts';
import { createLogger, type Log, type LogFormat } from '../log.ts';

export interface GlobalArgs {
  config?: string;
  set?: string[];
  dryRun: boolean;
  logFormat: LogFormat;
  logLevel: string;
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('config', {
      alias: 'c',
      type: 'string',
      describe: 'config file (YAML or JSON); default /etc/outposts-node-agent/config.yaml if present',
    })
    .option('set', {
      type: 'string',
      array: true,
      describe: 'override one parameter, e.g. --set lni.mtu=1500 (repeatable)',
    })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan, change nothing' })
    .option('log-format', {
      choices: ['auto', 'text', 'json'] as const,
      default: 'auto' as const,
      describe: 'log format on stderr (auto: text on a TTY, JSON lines otherwise)',
    })
    .option('log-level', {
      choices: ['debug', 'info', 'warn', 'error'] as const,
      default: 'info',
      describe: 'least severe log level shown',
    });
}

export interface CommandContext {
  config: AgentConfig;
  log: Log;
  args: GlobalArgs;
  env: NodeJS.ProcessEnv;
}

export async function commandContext(args: GlobalArgs): Promise<CommandContext> {
  const log = await createLogger({ format: args.logFormat, level: args.logLevel });
  const config = await loadConfig({
    file: args.config,
    explicitFile: args.config !== undefined,
    env: process.env,
    sets: args.set ?? [],
  });
  return { config, log, args, env: process.env };
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
