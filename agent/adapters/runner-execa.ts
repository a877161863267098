// Runner port on execa (loaded on the first run; Node only, see runner-bun.ts): no shell, bounded time, output
// captured, failures returned rather than thrown.
import { constants } from 'node:os';
import { RUN_NOT_STARTED, RUN_TIMED_OUT, type Runner, type RunResult } from '../ports/runner.ts';
import { onPath } from './on-path.ts';

export class ExecaRunner implements Runner {
  spawns = 0;

  installed(program: string): Promise<boolean> {
    return onPath(program);
  }

  async run(
    file: string,
    args: string[],
    opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    this.spawns++;
    const { execa } = await import('execa');
    const r = await execa(file, args, {
      reject: false,
      // Without input, stdin is /dev/null: a program that reads it must not wait on ours.
      ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
      timeout: opts.timeoutMs ?? 30_000,
      env: opts.env,
      stripFinalNewline: true,
    });
    if (r.exitCode !== undefined) return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    const exitCode = r.timedOut
      ? RUN_TIMED_OUT
      : r.signal
        ? 128 + (constants.signals[r.signal] ?? 0)
        : RUN_NOT_STARTED;
    return { exitCode, stdout: r.stdout, stderr: `${r.stderr}${r.stderr ? '\n' : ''}${r.shortMessage}` };
  }
}
