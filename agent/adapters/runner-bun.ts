// Runner port on Bun.spawn (the packaged executable; node:child_process would cost it ~10 MB of resident memory,
// `npm run bench` P4): no shell, bounded time, output captured, failures returned rather than thrown.
import { constants } from 'node:os';
import { RUN_NOT_STARTED, RUN_TIMED_OUT, type Runner, type RunResult } from '../ports/runner.ts';
import { type BunSubprocess, bun } from './bun-spawn.ts';
import { onPath } from './on-path.ts';

const strip = (s: string) => s.replace(/\r?\n$/, '');

export class BunRunner implements Runner {
  spawns = 0;

  installed(program: string): Promise<boolean> {
    return onPath(program);
  }

  async run(
    file: string,
    args: string[],
    opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    if (!bun) throw new Error('BunRunner needs the Bun runtime');
    this.spawns++;
    const timeout = opts.timeoutMs ?? 30_000;
    const started = performance.now();
    let proc: BunSubprocess;
    try {
      proc = bun.spawn([file, ...args], {
        stdin: opts.input === undefined ? 'ignore' : new TextEncoder().encode(opts.input),
        stdout: 'pipe',
        stderr: 'pipe',
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
        timeout,
        killSignal: 'SIGTERM',
      });
    } catch (err) {
      return {
        exitCode: RUN_NOT_STARTED,
        stdout: '',
        stderr: `cannot run ${file}: ${(err as Error).message}`,
      };
    }
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text().then(strip),
      new Response(proc.stderr).text().then(strip),
      proc.exited,
    ]);
    const signal = proc.signalCode;
    if (signal === null) return { exitCode: code, stdout, stderr };
    const timedOut = performance.now() - started >= timeout;
    const why = timedOut ? `timed out after ${timeout} ms` : `killed by ${signal}`;
    return {
      exitCode: timedOut ? RUN_TIMED_OUT : 128 + (constants.signals[signal as NodeJS.Signals] ?? 0),
      stdout,
      stderr: `${stderr}${stderr ? '\n' : ''}${file} ${why}`,
    };
  }
}
