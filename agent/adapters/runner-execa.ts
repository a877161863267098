// Runner port on execa: no shell, bounded time, output captured, failures returned rather than thrown.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Runner, RunResult } from '../ports/runner.ts';

export class ExecaRunner implements Runner {
  spawns = 0;

  async installed(program: string): Promise<boolean> {
    for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean)) {
      try {
        await access(join(dir, program), constants.X_OK);
        return true;
      } catch {
        // not in this one
      }
    }
    return false;
  }

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
