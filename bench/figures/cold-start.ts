// P3: cold start of `--version` (packaged executable and bundle) against `node -e 0`, interleaved runs.
import { execa } from 'execa';
import type { AgentRuntime } from '../lib/agent-runtime.ts';
import { type Figure, figure } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

/**
 * Starts each command RUNS times, round-robin (after one warm-up each, so every one reads from the page cache:
 * "cold" is a new process, not a cold disk), from a small timer process (spawn-timer.mjs): wall time around a
 * synchronous spawn, the same small spawn cost included for all alike.
 * `--version` and `--help` for each runtime; the goal (≤ 0.15× `node -e 0`) is the packaged executable's.
 */
export async function coldStartFigures(runtimes: readonly AgentRuntime[], runs: number): Promise<Figure[]> {
  const commands = [
    { id: 'node', label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    ...runtimes.flatMap((rt) =>
      (['version', 'help'] as const).map((flag) => ({
        id: `${rt.name}.${flag}`,
        runtime: rt,
        flag,
        argv: [...rt.argv, `--${flag}`],
      })),
    ),
  ];
  const timer = await execa(process.execPath, [
    new URL('../lib/spawn-timer.mjs', import.meta.url).pathname,
    JSON.stringify({ runs, commands: commands.map(({ id, argv }) => ({ id, argv })) }),
  ]);
  const times = new Map(Object.entries(JSON.parse(timer.stdout) as Record<string, number[]>));
  const node = summarize(times.get('node') ?? []);
  const figures = [figure({ id: 'p3.node', label: 'P3 node -e 0', unit: 'ms', value: node })];
  for (const c of commands) {
    if (!('runtime' in c)) continue;
    const main = c.runtime === runtimes[0];
    const tag = main ? '' : `.${c.runtime.name}`;
    const s = summarize(times.get(c.id) ?? []);
    figures.push(
      figure({
        id: `p3${tag}.${c.flag}`,
        label: `P3 --${c.flag}, ${c.runtime.label}`,
        unit: 'ms',
        value: s,
      }),
      figure({
        id: `p3${tag}.${c.flag === 'version' ? 'ratio' : 'help-ratio'}`,
        label: `P3 --${c.flag} ÷ node -e 0, ${c.runtime.label}`,
        unit: 'x',
        value: s.median / node.median,
        goal: main ? { op: '<=', target: 0.15 } : undefined,
      }),
    );
  }
  return figures;
}
