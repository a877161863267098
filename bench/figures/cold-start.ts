// P3: cold start of `--version` (packaged executable and bundle) against `node -e 0`, interleaved runs.
import { execa } from 'execa';
import type { AgentRuntime } from '../lib/agent-runtime.ts';
import { type Figure, figure } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

async function wallMs(argv: readonly string[]): Promise<number> {
  const [cmd = '', ...args] = argv;
  const started = performance.now();
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore' });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${String(r.stderr)}`);
  return ms;
}

/**
 * Starts each command RUNS times, round-robin (after one warm-up each, so every one reads from the page cache:
 * "cold" is a new process, not a cold disk). Wall time as seen by the parent, spawn cost included for all alike.
 */
export async function coldStartFigures(runtimes: readonly AgentRuntime[], runs: number): Promise<Figure[]> {
  const commands = [
    { id: 'node', label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    ...runtimes.map((rt) => ({ id: rt.name, label: rt.label, argv: [...rt.argv, '--version'] })),
  ];
  const times = new Map<string, number[]>(commands.map((c) => [c.id, []]));
  for (const c of commands) await wallMs(c.argv);
  for (let i = 0; i < runs; i++) for (const c of commands) times.get(c.id)?.push(await wallMs(c.argv));
  const node = summarize(times.get('node') ?? []);
  const figures = [figure({ id: 'p3.node', label: 'P3 node -e 0', unit: 'ms', value: node })];
  let first = true;
  for (const c of commands.slice(1)) {
    const s = summarize(times.get(c.id) ?? []);
    const tag = first ? '' : `.${c.id}`;
    figures.push(
      figure({ id: `p3${tag}.version`, label: `P3 --version, ${c.label}`, unit: 'ms', value: s }),
      figure({
        id: `p3${tag}.ratio`,
        label: `P3 --version ÷ node -e 0, ${c.label}`,
        unit: 'x',
        value: s.median / node.median,
        goal: { op: '<=', target: 1.5 },
      }),
    );
    first = false;
  }
  return figures;
}
