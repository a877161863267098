// The two Runner adapters keep one contract: execa on Node (tests, `npm run agent`), Bun.spawn in the executable.
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExecaRunner } from '../../agent/adapters/runner-execa.ts';
import { RUN_NOT_STARTED, RUN_TIMED_OUT, type RunResult } from '../../agent/ports/runner.ts';
import { bunRuntime } from '../../packaging/bun-runtimes.ts';
import { hostTarget } from '../../packaging/targets.ts';
import { ROOT } from '../packaging/artifacts.ts';
import { runCases, runnerCases } from './runner-cases.ts';

describe('runner adapters', () => {
  let onNode: Record<string, RunResult>;
  let onBun: Record<string, RunResult>;
  let bunSpawns = 0;

  beforeAll(async () => {
    const runner = new ExecaRunner();
    onNode = await runCases(runner);
    expect(runner.spawns).toBe(runnerCases().length);
    const bun = await bunRuntime(ROOT, hostTarget());
    const r = await execa(bun, ['test/adapters/bun-runner-cases.ts'], { cwd: ROOT });
    ({ results: onBun, spawns: bunSpawns } = JSON.parse(r.stdout));
  }, 60_000);

  it('execa: exit codes, output, input, env, timeout and start failures as the port says', () => {
    expect(onNode['output and exit code']).toEqual({ exitCode: 3, stdout: 'out', stderr: 'err' });
    expect(onNode['one trailing newline stripped, inner ones kept']?.stdout).toBe('a\n\nb\n');
    expect(onNode['input on stdin']?.stdout).toBe('line 1\nline 2');
    expect(onNode['no input: stdin is empty']).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(onNode['env added to the inherited one']?.stdout).toBe('y:path');
    expect(onNode['killed at the timeout']?.exitCode).toBe(RUN_TIMED_OUT);
    expect(onNode['killed by a signal']?.exitCode).toBe(128 + 9);
    expect(onNode['program not found']?.exitCode).toBe(RUN_NOT_STARTED);
    expect(onNode['program not found']?.stderr).toContain('ona-no-such-program');
    expect(onNode['program not executable (EACCES)']?.exitCode).toBe(RUN_NOT_STARTED);
  });

  it('Bun.spawn gives the same exit code and stdout for every case, and stderr where the program wrote it', () => {
    expect(bunSpawns).toBe(runnerCases().length);
    for (const { name } of runnerCases()) {
      const [node, bun] = [onNode[name], onBun[name]];
      expect({ name, exitCode: bun?.exitCode, stdout: bun?.stdout }).toEqual({
        name,
        exitCode: node?.exitCode,
        stdout: node?.stdout,
      });
      expect(Boolean(bun?.stderr), name).toBe(Boolean(node?.stderr));
      if (node?.exitCode !== undefined && node.exitCode < 124) expect(bun?.stderr, name).toBe(node.stderr);
    }
    expect(onBun['program not found']?.stderr).toContain('ona-no-such-program');
  });
});
