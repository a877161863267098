// Benchmark figures: their goals, the printed table and the JSON record (with machine, Node and commit).
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { execa } from 'execa';
import type { Summary } from './stats.ts';

export interface Goal {
  op: '<=' | '>=' | '=';
  target: number;
}

export interface Figure {
  /** Stable key for comparing runs, e.g. `p1.overhead`. */
  id: string;
  label: string;
  unit: 'ms' | 'MB' | 's/h' | 'x' | 'count';
  /** A Summary for repeated measurements, a number for a single one, null when it could not be measured. */
  value: Summary | number | null;
  goal?: Goal;
  /** Whether the median (or the single value) meets the goal; undefined without a goal or a value. */
  pass?: boolean;
  note?: string;
  error?: string;
  /** Raw material behind the figure, kept in the JSON only. */
  detail?: unknown;
}

export function figure(f: Omit<Figure, 'pass'>): Figure {
  const v = f.value === null ? undefined : typeof f.value === 'number' ? f.value : f.value.median;
  const pass =
    f.goal === undefined || v === undefined || Number.isNaN(v)
      ? undefined
      : f.goal.op === '<='
        ? v <= f.goal.target
        : f.goal.op === '>='
          ? v >= f.goal.target
          : v === f.goal.target;
  return { ...f, pass };
}

export function failedFigure(id: string, label: string, unit: Figure['unit'], error: unknown): Figure {
  return { id, label, unit, value: null, error: error instanceof Error ? error.message : String(error) };
}

function fmt(v: number, unit: Figure['unit']): string {
  if (Number.isNaN(v)) return 'n/a';
  if (unit === 'x') return `${v.toFixed(2)}×`;
  if (unit === 'MB' || unit === 's/h') return v.toFixed(1);
  return Math.round(v).toString();
}

const UNIT_SUFFIX: Record<Figure['unit'], string> = { ms: ' ms', MB: ' MB', 's/h': ' s/h', x: '', count: '' };

function valueText(f: Figure): string {
  if (f.value === null) return `error: ${(f.error ?? 'not measured').replace(/\s+/g, ' ').slice(0, 160)}`;
  const suffix = UNIT_SUFFIX[f.unit];
  if (typeof f.value === 'number') return `${fmt(f.value, f.unit)}${suffix}`;
  const s = f.value;
  if (s.n === 1) return `${fmt(s.median, f.unit)}${suffix} (n=1)`;
  return `${fmt(s.median, f.unit)}${suffix} [${fmt(s.min, f.unit)}–${fmt(s.max, f.unit)}] n=${s.n}`;
}

function goalText(f: Figure): string {
  if (!f.goal) return '';
  const op = f.goal.op === '<=' ? '≤' : f.goal.op === '>=' ? '≥' : '=';
  return `${op} ${fmt(f.goal.target, f.unit)}${UNIT_SUFFIX[f.unit]}`;
}

function mark(f: Figure): string {
  if (f.pass === undefined) return f.error ? '!' : '';
  return f.pass ? 'met' : 'MISSED';
}

/** A plain-text table: figure, median [min–max] n, goal, met/MISSED; notes under it. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.label, valueText(f), goalText(f), mark(f)]);
  const head = ['figure', 'value: median [min–max] n', 'goal', 'vs goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`.replace(/\s+\|$/, ' |');
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.label}: ${f.note}`);
  return [...out, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  nodeVersion: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export async function gitInfo(cwd: string): Promise<{ commit: string; dirty: boolean }> {
  const run = (args: string[]) =>
    execa('git', args, { cwd, reject: false }).then((r) => String(r.stdout).trim());
  const [commit, status] = await Promise.all([run(['rev-parse', 'HEAD']), run(['status', '--porcelain'])]);
  return { commit: commit || 'unknown', dirty: status.length > 0 };
}

/**
 * The figures every run records (for the main runtime), by the phase that measures them. A run on two runtimes
 * adds the same P1/P3/P4 figures for the second one, with its name in the id (e.g. `p1.bundle.overhead`).
 */
export const FIGURE_GROUPS = {
  'cold-start': ['p3.node', 'p3.version', 'p3.ratio', 'p3.help', 'p3.help-ratio'],
  'fresh-up': [
    'p1.wall',
    'p1.overhead',
    'p1.overhead-ratio',
    'p1.ratio',
    'p3.first-work',
    'p1.poll-overshoot',
    'p1.baseline.wall',
    'p2.wall',
    'p2.mutating',
    'p4.up-rss',
    'p4.baseline.rss',
    'p5.ec2-calls',
    'p5.ec2-polls',
    'p5.imds-calls',
    'p5.imds-tokens',
    'p5.spawns',
    'p5.baseline.ec2-calls',
    'p5.baseline.spawns',
  ],
  'watch-idle': ['p4.watch-rss', 'p4.watch-cpu', 'p5.repair'],
  sweep: ['p6.wall', 'p6.cpu'],
  scale: ['p7.converged', 'p7.converged-retried', 'p7.duplicates', 'p7.p50', 'p7.p99'],
} as const;
