// `npm run bench [-- --quick]`: every figure of issue 7 on the lab, printed as a table and written as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Lab } from '../test/lab/lab.ts';
import { cleanupLeftovers } from '../test/lab/net/index.ts';
import { coldStartFigures } from './figures/cold-start.ts';
import { freshUpFigures, runFreshUps } from './figures/fresh-up.ts';
import { scaleFigures } from './figures/scale.ts';
import { sweepFigures } from './figures/sweep.ts';
import { watchIdleFigures } from './figures/watch-idle.ts';
import { type AgentRuntime, prepareRuntimes, ROOT } from './lib/agent-runtime.ts';
import { FreshNodes, startBenchLab } from './lib/bench-lab.ts';
import { FIGURE_GROUPS, type Figure, failedFigure, gitInfo, machineInfo, renderTable } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'watch-idle-seconds': { type: 'string' },
    'sweep-enis': { type: 'string' },
    'scale-nodes': { type: 'string' },
    runtime: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
const num = (v: string | undefined, full: number, quick: number) =>
  v ? Number(v) : opts.quick ? quick : full;
const settings = {
  quick: opts.quick,
  runs: num(opts.runs, 5, 1),
  coldStartRuns: num(opts.runs, 10, 2),
  sweepRuns: num(opts.runs, 3, 1),
  watchIdleSeconds: num(opts['watch-idle-seconds'], 60, 3),
  sweepEnis: num(opts['sweep-enis'], 10_000, 500),
  scaleNodes: num(opts['scale-nodes'], 50, 3),
};

const startedAt = new Date();
const started = performance.now();
const log = (m: string) =>
  process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(0)} s]: ${m}\n`);
const phases: { name: string; wallMs: number; loadBefore: number; loadAfter: number }[] = [];
const figures: Figure[] = [];
const labs = new Set<Lab>();

type PhaseName = keyof typeof FIGURE_GROUPS;
/** `--only sweep,scale` runs just those phases (for working on one figure; the JSON then lacks the others). */
const selected = (name: PhaseName) => !opts.only || opts.only.split(',').includes(name);

/** Runs one group of figures; on failure every figure of the group is recorded with the error. */
async function phase(name: PhaseName, work: () => Promise<Figure[]>): Promise<void> {
  if (!selected(name)) return;
  const t = performance.now();
  const loadBefore = loadavg()[0] ?? 0;
  log(`${name}: start (load ${loadBefore.toFixed(2)})`);
  try {
    figures.push(...(await work()));
  } catch (err) {
    log(`${name}: FAILED ${(err as Error).stack ?? err}`);
    figures.push(...FIGURE_GROUPS[name].map((id) => failedFigure(id, id, 'count', err)));
  }
  const wallMs = performance.now() - t;
  phases.push({ name, wallMs, loadBefore, loadAfter: loadavg()[0] ?? 0 });
  log(`${name}: done in ${(wallMs / 1000).toFixed(1)} s`);
}

async function withLab<T>(nodes: number, work: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startBenchLab(nodes);
  labs.add(lab);
  try {
    return await work(lab);
  } finally {
    labs.delete(lab);
    await lab.destroy();
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    log(`${sig}: tearing the labs down`);
    void Promise.allSettled([...labs].map((l) => l.destroy())).then(() => process.exit(130));
  });

const machineBefore = machineInfo();
await cleanupLeftovers();
const available = await prepareRuntimes({ build: !opts['no-build'] });
const preferred = opts.runtime ?? 'exe';
const runtimes: AgentRuntime[] = [
  ...available.filter((r) => r.name === preferred),
  ...available.filter((r) => r.name !== preferred),
];
const main = runtimes[0] as AgentRuntime;
// The quick run measures the main runtime only.
const measured = settings.quick ? [main] : runtimes;
log(
  `agent runtimes: ${runtimes.map((r) => `${r.name} (${r.source}, built ${r.builtAt})`).join(', ')}; main: ${main.name}`,
);

await phase('cold-start', () => coldStartFigures(measured, settings.coldStartRuns));

// Fresh nodes: one per run per runtime, one per baseline run, two for the traced runs (unless traced inline).
const freshNodes = settings.runs * (measured.length + 1) + (settings.quick ? 0 : 2);
if (selected('fresh-up') || selected('watch-idle') || selected('sweep'))
  await withLab(selected('fresh-up') ? freshNodes : 1, async (lab) => {
    const fresh = new FreshNodes(lab);
    await phase('fresh-up', async () =>
      freshUpFigures(
        await runFreshUps(lab, fresh, measured, settings.runs, { traceInline: settings.quick, log }),
      ),
    );
    // Node 1 ran the main runtime's first fresh up (and its converged re-run); watch needs a converged node.
    const node = selected('fresh-up') ? lab.node(1) : await fresh.take();
    if (!selected('fresh-up') && selected('watch-idle')) await lab.agent(node, ['up']);
    await phase('watch-idle', () => watchIdleFigures(lab, node, main, settings.watchIdleSeconds));
    await phase('sweep', () => sweepFigures(lab, node, main, settings.sweepEnis, settings.sweepRuns));
  });

await phase('scale', () => withLab(settings.scaleNodes, (lab) => scaleFigures(lab, main)));

const wallMs = performance.now() - started;
const result = {
  startedAt: startedAt.toISOString(),
  wallMs,
  settings,
  machine: { ...machineBefore, loadAverageAtEnd: machineInfo().loadAverage },
  git: await gitInfo(ROOT),
  runtimes: runtimes.map(({ name, label, source, sizeBytes, builtAt }) => ({
    name,
    label,
    source,
    sizeBytes,
    builtAt,
  })),
  mainRuntime: main.name,
  phases,
  figures,
};
const out = opts.out ?? join(ROOT, 'bench/results', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);

const load = `load average ${machineBefore.loadAverage.join(' ')} at start, ${result.machine.loadAverageAtEnd.join(' ')} at end`;
console.log(
  [
    `outposts-node-agent benchmarks — ${result.git.commit.slice(0, 12)}${result.git.dirty ? ' (dirty tree)' : ''}, Node ${machineBefore.nodeVersion}, ${machineBefore.cores} cores, ${load}`,
    `main runtime: ${main.label}${settings.quick ? ' (quick run: counts too small to mean anything)' : ''}`,
    '',
    renderTable(figures),
    '',
    `wall time ${(wallMs / 1000).toFixed(1)} s; JSON: ${out}`,
  ].join('\n'),
);
