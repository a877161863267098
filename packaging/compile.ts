// Compiles agent/main.ts into one self-contained executable per target with `bun build --compile`.
import { rename, rm } from 'node:fs/promises';
import { execa } from 'execa';
import type { Target } from './targets.ts';

export interface CompileOptions {
  root: string;
  target: Target;
  /** The host's bun, which bundles and writes the executable. */
  compiler: string;
  /** The target's bun runtime, taken from npm instead of being downloaded by bun. */
  runtime: string;
  outfile: string;
  /** The top-level `--help` text (renderHelp), built in so `--help` needs no yargs at run time. */
  help: string;
  /** The commit the sources are at (scripts/git-commit.mjs). */
  commit: string;
}

/** What yargs prints for `--help`, rendered by the host's bun from the sources being compiled. */
export async function renderHelp(root: string, compiler: string): Promise<string> {
  const r = await execa(compiler, ['agent/main.ts', '--help'], { cwd: root, stripFinalNewline: false });
  if (!r.stdout.includes('Commands:'))
    throw new Error(`agent/main.ts --help printed no commands: ${r.stdout}`);
  return r.stdout;
}

/**
 * How the agent is bundled, shared with the test that checks what `--version` loads: --splitting keeps each
 * command's dynamic import a separate module inside the executable, parsed only when that command runs (so
 * --version/--help never parse the AWS SDK).
 */
export const BUNDLE_ARGS = ['build', 'agent/main.ts', '--format=esm', '--splitting'] as const;

/**
 * --bytecode stores the modules precompiled; the executable must not read a .env or bunfig.toml from its cwd.
 * --minify (names kept: errors and logs show class names) and bun's --smol heap (a GC that runs sooner) take
 * 30–60 ms off a command's start and 5 MB or more off its peak RSS (`npm run bench`, P1 and P4).
 */
function compileArgs(o: CompileOptions): string[] {
  return [
    ...BUNDLE_ARGS,
    '--compile',
    `--target=${o.target.bunTarget}`,
    `--compile-executable-path=${o.runtime}`,
    '--bytecode',
    '--minify',
    '--keep-names',
    '--compile-exec-argv=--smol',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    `--define=__AGENT_HELP__=${JSON.stringify(o.help)}`,
    `--define=__AGENT_COMMIT__=${JSON.stringify(o.commit)}`,
    `--outfile=${o.outfile}`,
  ];
}

/** Written beside the target and renamed over it: a copy that is running (tests, a second checkout) keeps working. */
export async function compileExecutable(o: CompileOptions): Promise<void> {
  const partial = `${o.outfile}.partial-${process.pid}`;
  try {
    await execa(o.compiler, compileArgs({ ...o, outfile: partial }), {
      cwd: o.root,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    await rename(partial, o.outfile);
  } finally {
    await rm(partial, { force: true });
  }
}
