// `diagnose` and `preflight`: run read-only checks concurrently, each within its bound and all within BOUNDS.total.
import type { ConfigProblem } from '../config/loader.ts';
import type { AgentConfig } from '../config/schema.ts';
import {
  type CheckGroup,
  type CheckOutcome,
  type CheckResult,
  type DiagnoseReport,
  fail,
  REPORT_VERSION,
  skip,
  summarize,
} from '../model/checks.ts';
import { recordDiagnose } from '../model/metrics.ts';
import { VERSION } from '../version.ts';
import { agentChecks } from './checks/agent.ts';
import { cloudChecks } from './checks/cloud.ts';
import { configChecks } from './checks/config.ts';
import {
  BOUNDS,
  type CheckDef,
  DiagnoseContext,
  type DiagnoseDeps,
  FactError,
  SkipCheck,
  type Source,
  within,
} from './checks/context.ts';
import { hostCheckDefs } from './checks/host.ts';
import { IMDS_HINT, imdsChecks } from './checks/imds.ts';
import { kubernetesChecks } from './checks/kubernetes.ts';
import { permissionChecks } from './checks/permissions.ts';

/** Every check, in report order. */
export const CHECKS: readonly CheckDef[] = [
  ...configChecks,
  ...imdsChecks,
  ...cloudChecks.filter((c) => c.group !== 'lni'),
  ...cloudChecks.filter((c) => c.group === 'lni'),
  ...hostCheckDefs,
  ...kubernetesChecks,
  ...permissionChecks,
  ...agentChecks,
];

/** What can be checked before `up` changes anything: placement, AMI, LNI subnet, DHCP client, permissions. */
export const PREFLIGHT_CHECKS: readonly CheckDef[] = CHECKS.filter(
  (c) =>
    ['config.valid', 'placement.outpost', 'ami.single-snapshot', 'lni.subnet', 'lni.dhcp-client'].includes(
      c.id,
    ) || c.group === 'permissions',
);

const HINTS: Record<Source, string> = {
  imds: IMDS_HINT,
  ec2: 'the EC2 API did not answer or refused: check the route to the Region (service link), HTTPS_PROXY/NO_PROXY, the instance profile and AWS_ENDPOINT_URL_EC2 if set',
  host: 'reading the host network failed: the agent needs iproute2 (`ip`) and root',
  files: 'reading a local file failed: check paths.* in the config and that the agent runs as root',
};

const SOURCE_OF: Record<CheckGroup, Source> = {
  imds: 'imds',
  placement: 'ec2',
  ami: 'ec2',
  lni: 'ec2',
  routing: 'host',
  kubernetes: 'files',
  permissions: 'ec2',
  agent: 'files',
  config: 'files',
};

async function runCheck(def: CheckDef, ctx: DiagnoseContext, deadline: number): Promise<CheckResult> {
  const { clock } = ctx.deps;
  const started = clock.now();
  const bound = Math.max(0, Math.min(def.timeoutMs, deadline - started));
  let outcome: CheckOutcome;
  try {
    outcome = await within(bound, SOURCE_OF[def.group], def.id, def.run(ctx));
  } catch (err) {
    if (err instanceof SkipCheck) outcome = skip(err.message);
    else {
      const source = err instanceof FactError ? err.source : SOURCE_OF[def.group];
      outcome = fail((err as Error).message, undefined, HINTS[source]);
    }
  }
  const result: CheckResult = {
    id: def.id,
    group: def.group,
    title: def.title,
    status: outcome.status,
    durationMs: clock.now() - started,
    timeoutMs: def.timeoutMs,
  };
  for (const key of ['observed', 'expected', 'hint'] as const) if (outcome[key]) result[key] = outcome[key];
  return result;
}

export async function runChecks(
  command: DiagnoseReport['command'],
  checks: readonly CheckDef[],
  config: AgentConfig,
  deps: DiagnoseDeps,
  configProblems: readonly ConfigProblem[] = [],
): Promise<DiagnoseReport> {
  const ctx = new DiagnoseContext(config, deps, configProblems);
  const started = deps.clock.now();
  const deadline = started + BOUNDS.total;
  deps.log.debug({ checks: checks.length, boundMs: BOUNDS.total }, `${command}: start`);
  const results = await Promise.all(checks.map((c) => runCheck(c, ctx, deadline)));
  const summary = summarize(results);
  deps.log.debug({ ms: deps.clock.now() - started, ...summary }, `${command}: done`);
  const instanceId = await ctx.instance().then(
    (i) => i.instanceId,
    () => undefined,
  );
  return {
    version: REPORT_VERSION,
    command,
    agentVersion: VERSION,
    generatedAt: new Date(started).toISOString(),
    ...(instanceId ? { instanceId } : {}),
    durationMs: deps.clock.now() - started,
    boundMs: BOUNDS.total,
    ok: summary.fail === 0,
    summary,
    checks: results,
  };
}

/**
 * Every check; read-only (DryRun calls, `ip -json`, `ip route get`, one ARP probe, files). The one thing it writes
 * is the metrics file: failing checks by group, so a fleet's dashboards see what diagnose saw.
 */
export async function diagnose(
  config: AgentConfig,
  deps: DiagnoseDeps,
  configProblems: readonly ConfigProblem[] = [],
): Promise<DiagnoseReport> {
  const report = await runChecks('diagnose', CHECKS, config, deps, configProblems);
  await deps.metrics.update((m) => recordDiagnose(m, Date.parse(report.generatedAt) / 1000, report.checks));
  return report;
}

/** The preflight checks as a report (the `preflight` command prints it). */
export function preflightReport(
  config: AgentConfig,
  deps: DiagnoseDeps,
  configProblems: readonly ConfigProblem[] = [],
): Promise<DiagnoseReport> {
  return runChecks('preflight', PREFLIGHT_CHECKS, config, deps, configProblems);
}
