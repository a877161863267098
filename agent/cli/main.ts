// The yargs command surface; the only place that exits, mapping AgentError to its exit code.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AgentError, ExitCode, exitCodeOf } from '../errors.ts';
import { VERSION } from '../version.ts';
import { globalOptions } from './common.ts';

// biome-ignore lint/suspicious/noExplicitAny: each command narrows the parsed argv to its own options
type Handler = (args: any) => Promise<unknown>;

/** Each command's module is imported only when it runs, so --help/--version never load the AWS SDK. */
function lazy(load: () => Promise<{ run: Handler }>): Handler {
  return async (args) => (await load()).run(args);
}

let exitCode: number = ExitCode.ok;

function wrap(handler: Handler) {
  return async (args: object) => {
    const code = await handler(args);
    if (typeof code === 'number') exitCode = code;
  };
}

export const HELP_WIDTH = 100;

export function buildCli(argv: string[]): Argv {
  return (
    globalOptions(yargs(argv))
      .scriptName('outposts-node-agent')
      .usage(
        '$0 <command> [options]\n\nGives an EKS node on an AWS Outposts server a working Local Network Interface.',
      )
      .command(
        'up',
        'discover, own exactly one LNI, configure it on the host, join EKS',
        (y) => y.option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
        wrap(lazy(() => import('./up.ts'))),
      )
      .command(
        'release',
        'undo what the state file says this agent created',
        (y) =>
          y
            .option('reason', {
              choices: ['manual', 'stop', 'terminate'] as const,
              default: 'manual' as const,
              describe:
                'manual: undo all; stop: systemd stop (policy release.onStop, or onTerminate when the ASG says Terminated); terminate: policy release.onTerminate',
            })
            .option('json', { type: 'boolean', default: false }),
        wrap(lazy(() => import('./release.ts'))),
      )
      .command(
        'sweep',
        "delete orphaned ENIs that carry this agent's tags",
        (y) =>
          y
            .option('region', { type: 'string', describe: 'region to sweep (default: from IMDS)' })
            .option('json', { type: 'boolean', default: false }),
        wrap(lazy(() => import('./sweep.ts'))),
      )
      .command(
        'watch',
        'keep the LNI host configuration converged',
        {},
        wrap(lazy(() => import('./watch.ts'))),
      )
      .command(
        'diagnose',
        'read-only checks of the node, with hints',
        (y) =>
          y.option('json', {
            type: 'boolean',
            default: false,
            describe: 'the report as JSON (docs/diagnose-schema.json)',
          }),
        wrap(lazy(() => import('./diagnose.ts'))),
      )
      .command(
        'preflight',
        'the checks that can run before up: placement, AMI, LNI subnet, permissions',
        (y) =>
          y.option('json', {
            type: 'boolean',
            default: false,
            describe: 'the report as JSON (docs/diagnose-schema.json)',
          }),
        wrap(lazy(() => import('./preflight.ts'))),
      )
      .command(
        'status',
        'print the state file and what is live',
        (y) => y.option('json', { type: 'boolean', default: false }),
        wrap(lazy(() => import('./status.ts'))),
      )
      .command(
        'config',
        'print the effective configuration',
        (y) =>
          y
            .option('print', {
              type: 'boolean',
              default: true,
              describe: 'print the effective config (YAML)',
            })
            .option('json', { type: 'boolean', default: false, describe: 'as JSON' })
            .option('docs', {
              type: 'boolean',
              default: false,
              describe: 'list every parameter, its default and doc',
            }),
        wrap(lazy(() => import('./config.ts'))),
      )
      .demandCommand(1, 'name a command')
      .strict()
      .version(VERSION)
      .help()
      // One width on every terminal and pipe, so the help text can be rendered once at build time (HELP_WIDTH).
      .wrap(HELP_WIDTH)
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new UsageError(msg);
      })
  );
}

class UsageError extends AgentError {
  override readonly exitCode = ExitCode.config;
  override readonly kind = 'usage';
}

export async function main(): Promise<void> {
  // The shipped runtime is pinned by packaging, not the host's Node: keep the SDK's Node-version notice
  // out of the agent's output (an operator can still set the variable to false to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    await buildCli(hideBin(process.argv)).parseAsync();
  } catch (err) {
    exitCode = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`outposts-node-agent: ${message}\n`);
    if (!(err instanceof AgentError) && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
  }
  // Exit now rather than when idle keep-alive sockets to IMDS/EC2 happen to close (logs are written synchronously).
  process.exit(exitCode);
}
