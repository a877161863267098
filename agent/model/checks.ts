// The diagnose report: check outcomes (pass/warn/fail/skip with observed, expected and a hint), versioned.

/** Bumped on any incompatible change of the JSON report (docs/diagnose-schema.json). */
export const REPORT_VERSION = 1;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'warn', 'fail', 'skip'];

export const CHECK_GROUPS = [
  'config',
  'imds',
  'placement',
  'ami',
  'lni',
  'routing',
  'kubernetes',
  'permissions',
  'agent',
] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/** What one check found. `observed`/`expected` are short human strings; `hint` is the one-line fix. */
export interface CheckOutcome {
  status: CheckStatus;
  observed?: string;
  expected?: string;
  hint?: string;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  group: CheckGroup;
  title: string;
  /** How long the check took, and the bound it had. */
  durationMs: number;
  timeoutMs: number;
}

export interface DiagnoseReport {
  version: typeof REPORT_VERSION;
  command: 'diagnose' | 'preflight';
  agentVersion: string;
  generatedAt: string;
  instanceId?: string;
  durationMs: number;
  /** The bound the whole run had. */
  boundMs: number;
  /** False when at least one check failed. */
  ok: boolean;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export const pass = (observed?: string, expected?: string): CheckOutcome => ({
  status: 'pass',
  observed,
  expected,
});
export const warn = (observed: string, expected: string | undefined, hint: string): CheckOutcome => ({
  status: 'warn',
  observed,
  expected,
  hint,
});
export const fail = (observed: string, expected: string | undefined, hint: string): CheckOutcome => ({
  status: 'fail',
  observed,
  expected,
  hint,
});
/** Not run: `reason` says which fact it needed and why that is missing. */
export const skip = (reason: string): CheckOutcome => ({ status: 'skip', observed: reason });

export function summarize(checks: readonly CheckResult[]): Record<CheckStatus, number> {
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return summary;
}

/** Check ids are `<group>.<kebab-name>`; permission checks name the EC2 action in kebab case. */
export function kebab(action: string): string {
  return action.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
