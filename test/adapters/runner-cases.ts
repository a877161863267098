// The runner contract as cases both runners run: the same program and options must give the same RunResult.
import type { Runner, RunResult } from '../../agent/ports/runner.ts';

export interface RunnerCase {
  name: string;
  file: string;
  args: string[];
  opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> };
}

export function runnerCases(): RunnerCase[] {
  return [
    { name: 'output and exit code', file: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'] },
    { name: 'one trailing newline stripped, inner ones kept', file: 'printf', args: ['a\\n\\nb\\n\\n'] },
    { name: 'input on stdin', file: 'cat', args: [], opts: { input: 'line 1\nline 2\n' } },
    { name: 'no input: stdin is empty', file: 'cat', args: [] },
    {
      name: 'env added to the inherited one',
      file: 'sh',
      args: ['-c', 'test -n "$PATH" && echo "$ONA_X:path"'],
      opts: { env: { ONA_X: 'y' } },
    },
    { name: 'killed at the timeout', file: 'sleep', args: ['5'], opts: { timeoutMs: 300 } },
    { name: 'killed by a signal', file: 'sh', args: ['-c', 'kill -KILL $$'] },
    { name: 'program not found', file: 'ona-no-such-program', args: [] },
    { name: 'program not executable (EACCES)', file: '/etc/passwd', args: [] },
  ];
}

/** What the contract fixes: exit code and stdout exactly; stderr's presence, and its text when the program wrote it. */
export async function runCases(runner: Runner): Promise<Record<string, RunResult>> {
  const out: Record<string, RunResult> = {};
  for (const c of runnerCases()) out[c.name] = await runner.run(c.file, c.args, c.opts);
  return out;
}
