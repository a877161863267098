// The yargs command surface; the only place that exits, mapping AgentError to its exit code.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AgentError, EXIT_CODE_DOCS, ExitCode, exitCodeOf } from '../errors.ts';
import { VERSION_LINE } from '../version.ts';
import { COMMANDS, GLOBAL_OPTIONS, type Handler, SUMMARY, USAGE } from './commands.ts';

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
  let cli = yargs(argv)
    .options(GLOBAL_OPTIONS)
    .scriptName('outposts-node-agent')
    .usage(`${USAGE}\n\n${SUMMARY}`);
  for (const c of COMMANDS)
    cli = cli.command(c.name, c.describe, (y) => y.options(c.options), wrap(lazy(c.load)));
  return (
    cli
      .demandCommand(1, 'name a command')
      .strict()
      .version(VERSION_LINE)
      .help()
      .epilogue(
        `Exit codes:\n${Object.entries(EXIT_CODE_DOCS)
          .map(([code, doc]) => `  ${code.padStart(2)}  ${doc}`)
          .join('\n')}`,
      )
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
