// `npm run bench -- --quick` completes and records every figure in its JSON; no timing is asserted.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { ROOT } from '../../bench/lib/agent-runtime.ts';
import { FIGURE_GROUPS, type Figure } from '../../bench/lib/report.ts';

it('runs the quick benchmark and writes every figure, with machine, Node and commit', async () => {
  const out = join(tmpdir(), `bench-smoke-${process.pid}.json`);
  try {
    // The bundle was built by the global setup; the quick run measures the main runtime only, once each.
    const r = await execa(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-build', '--out', out],
      {
        cwd: ROOT,
        reject: false,
        timeout: 170_000,
      },
    );
    expect(r.exitCode, String(r.stderr).slice(-4000)).toBe(0);
    const result = JSON.parse(await readFile(out, 'utf8')) as {
      figures: Figure[];
      machine: { cores: number; nodeVersion: string };
      git: { commit: string };
    };
    for (const id of Object.values(FIGURE_GROUPS).flat()) {
      const f = result.figures.find((x) => x.id === id);
      expect(f, `figure ${id}`).toBeDefined();
      expect(f?.error, `figure ${id}`).toBeUndefined();
      expect(f?.value, `figure ${id}`).not.toBeNull();
    }
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.machine.nodeVersion).toBe(process.version);
    expect(result.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(String(r.stdout)).toContain('P7 duplicate ENIs');
  } finally {
    await rm(out, { force: true });
  }
}, 180_000);
