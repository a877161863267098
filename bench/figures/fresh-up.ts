// P1, P2, P4 (up), P5: fresh `up` against the baseline script, the converged re-run, RSS, calls and spawns.
import { mutating } from '../../test/integration/helpers.ts';
import type { Lab } from '../../test/lab/lab.ts';
import type { CallRecord } from '../../test/lab/types.ts';
import { type AgentRuntime, agentArgv } from '../lib/agent-runtime.ts';
import { BASELINE_ARGV, baselineEnv, type FreshNodes } from '../lib/bench-lab.ts';
import { type Measured, measureInNode, type RunOptions, type Spawns } from '../lib/measure.ts';
import { type Figure, figure, type Goal } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

export interface FreshUpData {
  /** Fresh `up` runs per runtime (the first runtime is the main one). */
  agent: Map<AgentRuntime, Measured[]>;
  baseline: Measured[];
  /** `up` again on the main runtime's converged nodes. */
  converged: Measured[];
  spawns: { agent: Spawns; baseline: Spawns };
  /** Waits the lab imposes on any client: a new ENI is invisible for a while, an attachment takes a while. */
  waitFloorMs: number;
  timings: { consistencyDelayMs: number; attachDelayMs: number };
}

function checked(what: string, m: Measured): Measured {
  if (m.exitCode !== 0) throw new Error(`${what} exited ${m.exitCode}: ${m.stderr.slice(-2000)}`);
  return m;
}

/**
 * Runs ROUNDS rounds, each a fresh `up` per runtime and one baseline run, each on a node of its own; interleaved
 * so that load from other work on the machine falls on all of them alike. Then the converged re-runs, and one
 * run each under strace to count spawns (strace slows a run down, so those are not timed). TRACE_INLINE (the
 * quick run) traces the first round's runs instead, saving two runs and making their timings meaningless.
 */
export async function runFreshUps(
  lab: Lab,
  fresh: FreshNodes,
  runtimes: readonly AgentRuntime[],
  rounds: number,
  opts: { traceInline: boolean; log: (m: string) => void },
): Promise<FreshUpData> {
  const main = runtimes[0];
  if (!main) throw new Error('no agent runtime');
  const upOn = async (rt: AgentRuntime, run: RunOptions = {}) => {
    const node = await fresh.take();
    return {
      node,
      m: checked(`up (${rt.name})`, await measureInNode(lab, node, agentArgv(rt, node, ['up']), run)),
    };
  };
  const baselineOn = async (run: RunOptions = {}) => {
    const node = await fresh.take();
    const m = await measureInNode(lab, node, BASELINE_ARGV, { ...run, env: baselineEnv(node) });
    return checked('baseline', m);
  };
  const agent = new Map<AgentRuntime, Measured[]>(runtimes.map((r) => [r, []]));
  const baseline: Measured[] = [];
  const mainNodes = [];
  for (let round = 1; round <= rounds; round++) {
    const trace = opts.traceInline && round === 1;
    for (const rt of runtimes) {
      const { node, m } = await upOn(rt, { trace: trace && rt === main });
      if (rt === main) mainNodes.push(node);
      agent.get(rt)?.push(m);
    }
    baseline.push(await baselineOn({ trace }));
    opts.log(`P1 round ${round}/${rounds} done`);
  }
  const converged: Measured[] = [];
  for (const node of mainNodes)
    converged.push(checked('converged up', await measureInNode(lab, node, agentArgv(main, node, ['up']))));
  const agentTrace = opts.traceInline ? agent.get(main)?.[0] : (await upOn(main, { trace: true })).m;
  const baselineTrace = opts.traceInline ? baseline[0] : await baselineOn({ trace: true });
  if (!agentTrace?.spawns || !baselineTrace?.spawns) throw new Error('no traced run');
  const t = lab.state.timings;
  return {
    agent,
    baseline,
    converged,
    spawns: { agent: agentTrace.spawns, baseline: baselineTrace.spawns },
    waitFloorMs: t.consistencyDelayMs + t.attachDelayMs,
    timings: { consistencyDelayMs: t.consistencyDelayMs, attachDelayMs: t.attachDelayMs },
  };
}

/**
 * Calls that repeat one already made because the lab said "not yet": NotFound retries and status polls. A DryRun
 * (up's preflight probe, answered DryRunOperation) is a call of its own, not a poll.
 */
export function isPoll(c: CallRecord): boolean {
  return (
    (c.status !== 200 && !c.dryRun) ||
    (c.action === 'DescribeNetworkInterfaces' && c.params['NetworkInterfaceId.1'] !== undefined)
  );
}

/**
 * Where an `up`'s wall time goes, from its log lines (each logged when its step ends, with its `ms`):
 * start-up until the first step, discovery, the EC2 steps, the host steps, and exit after `up: converged`.
 */
export function phases(m: Measured): Record<string, number> | undefined {
  const at = (pred: (l: Record<string, unknown>) => boolean) => {
    const l = m.logs.find(pred);
    return l ? Date.parse(String(l.time)) : undefined;
  };
  const first = m.logs.find((l) => l.step === 'discover-instance');
  const plan = at((l) => l.msg === 'LNI plan');
  // A converged node has no EC2 steps: its host phase starts at the plan.
  const ec2Done = at((l) => l.step === 'set-delete-on-termination') ?? plan;
  const done = at((l) => l.msg === 'up: converged');
  if (!first || plan === undefined || ec2Done === undefined || done === undefined) return undefined;
  const firstStart = Date.parse(String(first.time)) - Number(first.ms);
  return {
    startup: firstStart - m.startedAt,
    discover: plan - firstStart,
    ec2: ec2Done - plan,
    host: done - ec2Done,
    exit: m.endedAt - done,
  };
}

function phaseText(runs: readonly Measured[]): string {
  const all = runs.flatMap((m): Record<string, number>[] => {
    const p = phases(m);
    return p ? [p] : [];
  });
  if (!all.length) return 'no phase breakdown (log lines not found)';
  const keys = Object.keys(all[0] ?? {});
  return `median phases: ${keys.map((k) => `${k} ${Math.round(summarize(all.map((p) => p[k] ?? Number.NaN)).median)}`).join(', ')} ms`;
}

const labAnswering = (m: Measured) => m.ec2BusyMs + m.imdsBusyMs;
const mb = (kb: number) => kb / 1024;
const med = (xs: number[]) => summarize(xs).median;
const programs = (s: Spawns) =>
  Object.entries(s.byProgram)
    .map(([p, n]) => `${p}×${n}`)
    .join(', ');

/**
 * How much longer than the lab required a run waited, from its EC2 calls: after CreateNetworkInterface answered
 * until the attach that succeeded (the lab needs consistencyDelayMs), and after that attach answered until the
 * describe that saw it attached (the lab needs attachDelayMs). Polling intervals, not the lab, make up the rest.
 */
export function pollOvershoots(
  m: Measured,
  t: FreshUpData['timings'],
): { visible: number; attached: number } | undefined {
  const end = (c: CallRecord) => c.startedAt + c.durationMs;
  const create = m.ec2Calls.find(
    (c) => c.action === 'CreateNetworkInterface' && c.status === 200 && !c.dryRun,
  );
  const attach = m.ec2Calls.find((c) => c.action === 'AttachNetworkInterface' && c.status === 200);
  const seen = m.ec2Calls
    .filter((c) => c.action === 'DescribeNetworkInterfaces' && isPoll(c) && c.status === 200)
    .at(-1);
  if (!create || !attach || !seen) return undefined;
  return {
    visible: attach.startedAt - end(create) - t.consistencyDelayMs,
    attached: seen.startedAt - end(attach) - t.attachDelayMs,
  };
}

export function pollOvershootMs(m: Measured, t: FreshUpData['timings']): number | undefined {
  const o = pollOvershoots(m, t);
  return o && o.visible + o.attached;
}

export function freshUpFigures(d: FreshUpData): Figure[] {
  const figures: Figure[] = [];
  const baseWall = d.baseline.map((m) => m.wallMs);
  let first = true;
  const baseOverhead = med(d.baseline.map((m) => m.wallMs - labAnswering(m) - d.waitFloorMs));
  for (const [rt, runs] of d.agent) {
    const tag = first ? '' : `.${rt.name}`;
    // Goals are the shipped executable's (the main runtime); other runtimes are shown for comparison.
    const goal = (g: Goal) => (first ? g : undefined);
    const wall = runs.map((m) => m.wallMs);
    const overhead = runs.map((m) => m.wallMs - labAnswering(m) - d.waitFloorMs);
    figures.push(
      figure({
        id: `p1${tag}.wall`,
        label: `P1 fresh up wall, ${rt.label}`,
        unit: 'ms',
        value: summarize(wall),
        note: phaseText(runs),
        detail: runs.map(phases),
      }),
      figure({
        id: `p1${tag}.overhead`,
        label: `P1 agent overhead, ${rt.label}`,
        unit: 'ms',
        value: summarize(overhead),
        goal: goal({ op: '<=', target: 150 }),
        note: `wall − lab answering (median ${Math.round(med(runs.map(labAnswering)))} ms: EC2 ${Math.round(med(runs.map((m) => m.ec2BusyMs)))}, IMDS ${Math.round(med(runs.map((m) => m.imdsBusyMs)))}) − ${d.waitFloorMs} ms the lab makes any client wait (new-ENI visibility + attaching); of the overhead, polling past those waits ${Math.round(med(runs.map((m) => pollOvershootMs(m, d.timings) ?? Number.NaN)))} ms; CPU ${Math.round(med(runs.map((m) => m.cpuMs)))} ms`,
      }),
      figure({
        id: `p1${tag}.overhead-ratio`,
        label: `P1 baseline overhead ÷ agent overhead, ${rt.label}`,
        unit: 'x',
        value: baseOverhead / med(overhead),
        goal: goal({ op: '>=', target: 25 }),
        note: `ratio of medians: baseline ${Math.round(baseOverhead)} ms`,
      }),
      figure({
        id: `p1${tag}.ratio`,
        label: `P1 baseline ÷ agent wall, ${rt.label}`,
        unit: 'x',
        value: med(baseWall) / med(wall),
        note: `ratio of medians (both wait ${d.waitFloorMs} ms on the lab); CPU ratio ${(med(d.baseline.map((m) => m.cpuMs)) / med(runs.map((m) => m.cpuMs))).toFixed(1)}×`,
      }),
      figure({
        id: `p3${tag}.first-work`,
        label: `P3 exec to first IMDS read (up), ${rt.label}`,
        unit: 'ms',
        value: summarize(runs.map((m) => phases(m)?.startup ?? Number.NaN)),
        goal: goal({ op: '<=', target: 30 }),
        note: 'from the spawn (ip netns exec and time included) to the start of discover-instance, from its log line',
      }),
    );
    first = false;
  }
  figures.push(
    figure({
      id: 'p1.baseline.wall',
      label: 'P1 fresh up wall, baseline (bash + AWS CLI v2)',
      unit: 'ms',
      value: summarize(baseWall),
      note: `CPU ${Math.round(med(d.baseline.map((m) => m.cpuMs)))} ms; lab answering ${Math.round(med(d.baseline.map(labAnswering)))} ms; overhead as for the agent ${Math.round(med(d.baseline.map((m) => m.wallMs - labAnswering(m) - d.waitFloorMs)))} ms`,
    }),
    figure({
      id: 'p2.wall',
      label: 'P2 converged re-run wall',
      unit: 'ms',
      value: summarize(d.converged.map((m) => m.wallMs)),
      goal: { op: '<=', target: 300 },
      note: `lab answering ${Math.round(med(d.converged.map(labAnswering)))} ms; CPU ${Math.round(med(d.converged.map((m) => m.cpuMs)))} ms; EC2 calls ${d.converged[0]?.ec2Calls.map((c) => c.action).join(', ')}; ${phaseText(d.converged)}`,
      detail: d.converged.map(phases),
    }),
    figure({
      id: 'p2.mutating',
      label: 'P2 mutating EC2 calls on re-run (max)',
      unit: 'count',
      value: Math.max(...d.converged.map((m) => mutating(m.ec2Calls).length)),
      goal: { op: '=', target: 0 },
    }),
  );
  first = true;
  for (const [rt, runs] of d.agent) {
    figures.push(
      figure({
        id: `p4${first ? '' : `.${rt.name}`}.up-rss`,
        label: `P4 peak RSS of up, ${rt.label}`,
        unit: 'MB',
        value: summarize(runs.map((m) => mb(m.maxRssKb))),
        goal: first ? { op: '<=', target: 64 } : undefined,
      }),
    );
    first = false;
  }
  figures.push(
    figure({
      id: 'p4.baseline.rss',
      label: 'P4 peak RSS, baseline (largest process)',
      unit: 'MB',
      value: summarize(d.baseline.map((m) => mb(m.maxRssKb))),
    }),
  );
  const mainRuns = [...d.agent.values()][0] ?? [];
  const calls = (m: Measured) => m.ec2Calls.filter((c) => !isPoll(c)).length;
  const polls = (m: Measured) => m.ec2Calls.filter(isPoll).length;
  figures.push(
    figure({
      id: 'p5.ec2-calls',
      label: 'P5 EC2 calls per fresh up (without polls)',
      unit: 'count',
      value: summarize(mainRuns.map(calls)),
      goal: { op: '<=', target: 6 },
      note: `e.g. ${mainRuns[0]?.ec2Calls.map((c) => `${c.action}${isPoll(c) ? '(poll)' : c.dryRun ? '(DryRun, preflight)' : ''}`).join(', ')}`,
    }),
    figure({
      id: 'p5.ec2-polls',
      label: 'P5 EC2 polls per fresh up',
      unit: 'count',
      value: summarize(mainRuns.map(polls)),
    }),
    figure({
      id: 'p5.imds-calls',
      label: 'P5 IMDS requests per fresh up',
      unit: 'count',
      value: summarize(mainRuns.map((m) => m.imdsCalls)),
      goal: { op: '<=', target: 8 },
    }),
    figure({
      id: 'p5.imds-tokens',
      label: 'P5 IMDSv2 tokens per fresh up (max)',
      unit: 'count',
      value: Math.max(...mainRuns.map((m) => m.imdsTokens)),
      goal: { op: '=', target: 1 },
    }),
    figure({
      id: 'p1.poll-overshoot',
      label: 'P1 attachment waits: noticed after the lab allowed (worse of the two, max)',
      unit: 'ms',
      value: Math.max(
        ...mainRuns.map((m) => {
          const o = pollOvershoots(m, d.timings);
          return o ? Math.max(o.visible, o.attached) : Number.NaN;
        }),
      ),
      goal: { op: '<=', target: 50 },
      note: `per run (new ENI visible / attached): ${mainRuns
        .map((m) => {
          const o = pollOvershoots(m, d.timings);
          return o ? `${Math.round(o.visible)}/${Math.round(o.attached)}` : '?';
        })
        .join(', ')} ms`,
    }),
    figure({
      id: 'p5.spawns',
      label: 'P5 process spawns per fresh up',
      unit: 'count',
      value: d.spawns.agent.total,
      note: programs(d.spawns.agent),
    }),
    figure({
      id: 'p5.baseline.ec2-calls',
      label: 'P5 EC2 calls (+polls), baseline',
      unit: 'count',
      value: summarize(d.baseline.map(calls)),
      note: `polls median ${med(d.baseline.map(polls))}`,
    }),
    figure({
      id: 'p5.baseline.spawns',
      label: 'P5 process spawns, baseline',
      unit: 'count',
      value: d.spawns.baseline.total,
      note: programs(d.spawns.baseline),
    }),
  );
  return figures;
}
