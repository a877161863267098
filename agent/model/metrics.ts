// The agent's Prometheus metrics: what is kept between runs (counters, the last up), how each command changes it,
// and the text-format file node_exporter's textfile collector reads.
import { CHECK_GROUPS, type CheckGroup, type CheckResult } from './checks.ts';
import type { SnatStep } from './plan-snat.ts';
import type { HostStep } from './types.ts';

export const METRICS_STATE_VERSION = 1;

/** The LNI as the last command that looked saw it. */
export interface LniMetrics {
  present: boolean;
  up: boolean;
  interface?: string;
  address?: string;
  /** static | dhcp | pool */
  mode?: string;
}

export interface MetricsState {
  version: typeof METRICS_STATE_VERSION;
  lni?: LniMetrics;
  up?: {
    lastSuccessSeconds?: number;
    lastFailureSeconds?: number;
    lastDurationSeconds?: number;
    exitCode?: number;
  };
  repairs: Partial<Record<RepairKind, number>>;
  hookCompletions: Partial<Record<HookResult, number>>;
  sweepDeleted: number;
  diagnose?: { atSeconds: number; failing: Partial<Record<CheckGroup, number>> };
}

export const REPAIR_KINDS = ['link', 'sysctl', 'address', 'route', 'rule', 'snat'] as const;
export type RepairKind = (typeof REPAIR_KINDS)[number];
export const HOOK_RESULTS = ['done', 'not-waiting', 'failed', 'skipped'] as const;
export type HookResult = (typeof HOOK_RESULTS)[number];

export const emptyMetrics = (): MetricsState => ({
  version: METRICS_STATE_VERSION,
  repairs: {},
  hookCompletions: {},
  sweepDeleted: 0,
});

/** What kind of setting a watch repair step puts back. */
export function repairKind(step: HostStep | SnatStep): RepairKind {
  const k = step.kind;
  if (k === 'sysctl') return 'sysctl';
  if (k.startsWith('addr-')) return 'address';
  if (k.startsWith('route-')) return 'route';
  if (k.startsWith('rule-')) return 'rule';
  if (k === 'nat-restore' || k.startsWith('dst-rule-')) return 'snat';
  return 'link';
}

// --- Changes, one per event the commands report ---

export function recordUp(
  s: MetricsState,
  r: { atSeconds: number; durationSeconds: number; exitCode: number },
): void {
  s.up = {
    ...s.up,
    ...(r.exitCode === 0 ? { lastSuccessSeconds: r.atSeconds } : { lastFailureSeconds: r.atSeconds }),
    lastDurationSeconds: r.durationSeconds,
    exitCode: r.exitCode,
  };
}

export function recordLni(s: MetricsState, lni: LniMetrics): void {
  s.lni = lni;
}

export function recordRepairs(s: MetricsState, steps: readonly (HostStep | SnatStep)[]): void {
  // One repair of a kind per reconcile, however many steps it took (an address put back is one repair).
  for (const kind of new Set(steps.map(repairKind))) s.repairs[kind] = (s.repairs[kind] ?? 0) + 1;
}

export function recordHookCompletion(s: MetricsState, result: HookResult): void {
  s.hookCompletions[result] = (s.hookCompletions[result] ?? 0) + 1;
}

export function recordSweep(s: MetricsState, deleted: number): void {
  s.sweepDeleted += deleted;
}

export function recordDiagnose(s: MetricsState, atSeconds: number, checks: readonly CheckResult[]): void {
  const failing: Partial<Record<CheckGroup, number>> = {};
  for (const c of checks) if (c.status === 'fail') failing[c.group] = (failing[c.group] ?? 0) + 1;
  s.diagnose = { atSeconds, failing };
}

// --- The text format ---

export interface MetricDef {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
}

const P = 'outposts_node_agent_';

/** Every metric the file can hold (the README lists them; the shipped alerts may use only these). */
export const METRICS = {
  buildInfo: {
    name: `${P}build_info`,
    type: 'gauge',
    help: 'The agent build: version and commit labels, value 1.',
  },
  lniPresent: {
    name: `${P}lni_present`,
    type: 'gauge',
    help: "1 when an interface with the LNI's MAC is on the host, 0 when not (as the last up, watch check or release saw it).",
  },
  lniUp: {
    name: `${P}lni_up`,
    type: 'gauge',
    help: '1 when the LNI interface is up, 0 when it is down or absent.',
  },
  lniAddressInfo: {
    name: `${P}lni_address_info`,
    type: 'gauge',
    help: "The LNI's LAN address: interface, address and addressing mode labels, value 1.",
  },
  upLastSuccess: {
    name: `${P}up_last_success_timestamp_seconds`,
    type: 'gauge',
    help: 'When up last converged (Unix time).',
  },
  upLastFailure: {
    name: `${P}up_last_failure_timestamp_seconds`,
    type: 'gauge',
    help: 'When up last failed (Unix time).',
  },
  upDuration: { name: `${P}up_last_duration_seconds`, type: 'gauge', help: 'How long the last up took.' },
  upExitCode: {
    name: `${P}up_exit_code`,
    type: 'gauge',
    help: "The last up's exit code (0: converged; the README lists the others).",
  },
  repairs: {
    name: `${P}watch_repairs_total`,
    type: 'counter',
    help: 'Drifted settings watch put back, by kind (one per kind per reconcile).',
  },
  hookCompletions: {
    name: `${P}lifecycle_hook_completions_total`,
    type: 'counter',
    help: 'Termination lifecycle hook handlings, by result (done, not-waiting, failed, skipped).',
  },
  sweepDeleted: {
    name: `${P}sweep_deleted_enis_total`,
    type: 'counter',
    help: 'Orphaned ENIs sweep deleted.',
  },
  diagnoseFailing: {
    name: `${P}diagnose_failing_checks`,
    type: 'gauge',
    help: 'Checks that failed in the last diagnose, by group.',
  },
  diagnoseAt: {
    name: `${P}diagnose_last_run_timestamp_seconds`,
    type: 'gauge',
    help: 'When diagnose last ran (Unix time).',
  },
} as const satisfies Record<string, MetricDef>;

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

type Sample = [labels: Record<string, string>, value: number];

function family(def: MetricDef, samples: Sample[]): string[] {
  if (!samples.length) return [];
  return [
    `# HELP ${def.name} ${def.help.trim()}`,
    `# TYPE ${def.name} ${def.type}`,
    ...samples.map(([labels, value]) => {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      return `${def.name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`;
    }),
  ];
}

const gauge = (value: number | undefined): Sample[] => (value === undefined ? [] : [[{}, value]]);

/** The file: every family with HELP and TYPE; counters start at 0 for every known label value. */
export function renderMetrics(s: MetricsState, build: { version: string; commit: string }): string {
  const lni = s.lni;
  const lines = [
    ...family(METRICS.buildInfo, [[{ version: build.version, commit: build.commit }, 1]]),
    ...family(METRICS.lniPresent, gauge(lni && (lni.present ? 1 : 0))),
    ...family(METRICS.lniUp, gauge(lni && (lni.present && lni.up ? 1 : 0))),
    ...family(
      METRICS.lniAddressInfo,
      lni?.address
        ? [[{ interface: lni.interface ?? '', address: lni.address, mode: lni.mode ?? '' }, 1]]
        : [],
    ),
    ...family(METRICS.upLastSuccess, gauge(s.up?.lastSuccessSeconds)),
    ...family(METRICS.upLastFailure, gauge(s.up?.lastFailureSeconds)),
    ...family(METRICS.upDuration, gauge(s.up?.lastDurationSeconds)),
    ...family(METRICS.upExitCode, gauge(s.up?.exitCode)),
    ...family(
      METRICS.repairs,
      REPAIR_KINDS.map((kind): Sample => [{ kind }, s.repairs[kind] ?? 0]),
    ),
    ...family(
      METRICS.hookCompletions,
      HOOK_RESULTS.map((result): Sample => [{ result }, s.hookCompletions[result] ?? 0]),
    ),
    ...family(METRICS.sweepDeleted, [[{}, s.sweepDeleted]]),
    ...family(
      METRICS.diagnoseFailing,
      s.diagnose ? CHECK_GROUPS.map((group): Sample => [{ group }, s.diagnose?.failing[group] ?? 0]) : [],
    ),
    ...family(METRICS.diagnoseAt, gauge(s.diagnose?.atSeconds)),
  ];
  return `${lines.join('\n')}\n`;
}

/** A metrics state read back from disk, or a fresh one when it is missing or not ours. */
export function parseMetricsState(text: string | undefined): MetricsState {
  if (!text) return emptyMetrics();
  try {
    const parsed = JSON.parse(text) as Partial<MetricsState>;
    if (parsed.version !== METRICS_STATE_VERSION) return emptyMetrics();
    return {
      ...emptyMetrics(),
      ...parsed,
      repairs: { ...parsed.repairs },
      hookCompletions: { ...parsed.hookCompletions },
    };
  } catch {
    return emptyMetrics();
  }
}
