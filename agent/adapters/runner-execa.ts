// Runner port on execa: no shell, bounded time, output captured, failures returned rather than thrown.
import { execa } from 'execa';
import type { Runner, RunResult } from '../ports/runner.ts';

export class ExecaRunner implements Runner {
  spawns = 0;

  async run(
    file: string,
    args: string[],
    opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    this.spawns++;
    const r = await execa(file, args, {
      reject: false,
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      env: opts.env,
      stripFinalNewline: true,
    });
    const exitCode = r.exitCode ?? (r.timedOut ? 124 : 1);
    const stderr = r.failed && r.exitCode === undefined ? `${r.stderr}${r.shortMessage}` : r.stderr;
    return { exitCode, stdout: r.stdout, stderr };
  }
}
