// P3: cold start of `--version` (packaged executable and bundle) against `node -e 0`, interleaved runs.
import { spawnSync } from 'node:child_process';
import type { AgentRuntime } from '../lib/agent-runtime.ts';
import { type Figure, figure } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

/**
 * One start, timed around a synchronous spawn (the lightest way Node has to start a process and wait for it, so the
 * harness adds as little as possible to every command alike).
 */
function wallMs(argv: readonly string[]): number {
  const [cmd = '', ...args] = argv;
  const started = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  return ms;
}

/**
 * Starts each command RUNS times, round-robin (after one warm-up each, so every one reads from the page cache:
 * "cold" is a new process, not a cold disk). Wall time as seen by the parent, spawn cost included for all alike.
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
  const times = new Map<string, number[]>(commands.map((c) => [c.id, []]));
  for (const c of commands) wallMs(c.argv);
  for (let i = 0; i < runs; i++) for (const c of commands) times.get(c.id)?.push(wallMs(c.argv));
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
