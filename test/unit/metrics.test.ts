// The metrics model (what each event changes, the text format) and the shipped alerts: valid PromQL (Prometheus's
// own grammar) that names only metrics the agent or node_exporter's textfile collector writes.
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CheckResult } from '../../agent/model/checks.ts';
import {
  emptyMetrics,
  escapeLabel,
  METRICS,
  parseMetricsState,
  recordDiagnose,
  recordHookCompletion,
  recordRepairs,
  recordSweep,
  recordUp,
  renderMetrics,
} from '../../agent/model/metrics.ts';
import { parseScrape } from '../integration/helpers.ts';

const BUILD = { version: '1.2.3', commit: 'abc' };
const value = (text: string, name: string, labels: Record<string, string> = {}) =>
  parseScrape(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;

describe('metrics model', () => {
  it('a fresh file holds the build and every counter at 0, and nothing it does not know yet', () => {
    const text = renderMetrics(emptyMetrics(), BUILD);
    expect(value(text, 'outposts_node_agent_build_info', { version: '1.2.3', commit: 'abc' })).toBe(1);
    expect(value(text, 'outposts_node_agent_watch_repairs_total', { kind: 'snat' })).toBe(0);
    expect(value(text, 'outposts_node_agent_lifecycle_hook_completions_total', { result: 'done' })).toBe(0);
    expect(value(text, 'outposts_node_agent_sweep_deleted_enis_total')).toBe(0);
    expect(text).not.toContain('outposts_node_agent_lni_up');
    expect(text).not.toContain('outposts_node_agent_up_exit_code');
  });

  it('each family has one HELP and one TYPE line before its samples', () => {
    const s = emptyMetrics();
    recordUp(s, { atSeconds: 100, durationSeconds: 1.5, exitCode: 0 });
    s.lni = { present: true, up: true, interface: 'lni0', address: '192.0.2.10', mode: 'static' };
    const lines = renderMetrics(s, BUILD).trimEnd().split('\n');
    for (const def of Object.values(METRICS)) {
      const at = lines.indexOf(`# TYPE ${def.name} ${def.type}`);
      if (at === -1) continue;
      expect(lines[at - 1]).toMatch(new RegExp(`^# HELP ${def.name} \\S`));
      expect(lines.filter((l) => l.startsWith(`# TYPE ${def.name} `))).toHaveLength(1);
      expect(lines[at + 1]?.startsWith(def.name)).toBe(true);
    }
  });

  it('up: success and failure keep each other’s time; the exit code and duration are the last run’s', () => {
    const s = emptyMetrics();
    recordUp(s, { atSeconds: 100, durationSeconds: 1, exitCode: 0 });
    recordUp(s, { atSeconds: 200, durationSeconds: 2, exitCode: 4 });
    expect(s.up).toEqual({
      lastSuccessSeconds: 100,
      lastFailureSeconds: 200,
      lastDurationSeconds: 2,
      exitCode: 4,
    });
  });

  it('watch repairs count one per kind per reconcile; hooks, sweeps and diagnose add up', () => {
    const s = emptyMetrics();
    recordRepairs(s, [
      { kind: 'addr-add', ifname: 'lni0', cidr: '192.0.2.10/24' },
      { kind: 'route-replace', dst: 'default', ifname: 'lni0', table: 200, gateway: '192.0.2.1' },
      { kind: 'route-replace', dst: '192.0.2.0/24', ifname: 'lni0', table: 200 },
      { kind: 'nat-restore', backend: 'nf_tables', payload: '', summary: '' },
    ]);
    recordRepairs(s, [{ kind: 'rule-add', from: '192.0.2.10', table: 200, priority: 2000 }]);
    expect(s.repairs).toEqual({ address: 1, route: 1, snat: 1, rule: 1 });
    recordHookCompletion(s, 'done');
    recordHookCompletion(s, 'done');
    recordSweep(s, 3);
    recordSweep(s, 0);
    const fail = (group: CheckResult['group']): CheckResult => ({
      id: `${group}.x`,
      group,
      title: 'x',
      status: 'fail',
      durationMs: 1,
      timeoutMs: 1,
    });
    recordDiagnose(s, 300, [fail('lni'), fail('lni'), fail('routing'), { ...fail('imds'), status: 'pass' }]);
    const text = renderMetrics(s, BUILD);
    expect(value(text, 'outposts_node_agent_lifecycle_hook_completions_total', { result: 'done' })).toBe(2);
    expect(value(text, 'outposts_node_agent_sweep_deleted_enis_total')).toBe(3);
    expect(value(text, 'outposts_node_agent_diagnose_failing_checks', { group: 'lni' })).toBe(2);
    expect(value(text, 'outposts_node_agent_diagnose_failing_checks', { group: 'imds' })).toBe(0);
    expect(value(text, 'outposts_node_agent_diagnose_last_run_timestamp_seconds')).toBe(300);
  });

  it('label values are escaped as the text format wants', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const s = emptyMetrics();
    s.lni = { present: true, up: false, interface: 'we"ird', address: '192.0.2.1', mode: 'static' };
    expect(renderMetrics(s, BUILD)).toContain('interface="we\\"ird"');
  });

  it('a kept state that is missing, not JSON or of another version starts over', () => {
    expect(parseMetricsState(undefined)).toEqual(emptyMetrics());
    expect(parseMetricsState('{oops')).toEqual(emptyMetrics());
    expect(parseMetricsState('{"version":99,"sweepDeleted":5}')).toEqual(emptyMetrics());
    expect(parseMetricsState('{"version":1,"sweepDeleted":5,"repairs":{"rule":2}}')).toMatchObject({
      sweepDeleted: 5,
      repairs: { rule: 2 },
    });
  });
});

describe('examples/metrics/prometheusrule.yaml', () => {
  type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string> };
  const doc = parse(
    readFileSync(new URL('../../examples/metrics/prometheusrule.yaml', import.meta.url), 'utf8'),
  ) as { apiVersion: string; kind: string; spec: { groups: { name: string; rules: Rule[] }[] } };
  const rules = doc.spec.groups.flatMap((g) => g.rules);
  const known = new Set<string>([
    ...Object.values(METRICS).map((m) => m.name),
    // node_exporter's own textfile collector metrics
    'node_textfile_mtime_seconds',
    'node_textfile_scrape_error',
  ]);

  /** The metric names an expression uses, or the syntax error Prometheus's grammar finds. */
  function metricsOf(expr: string): string[] {
    const names: string[] = [];
    const tree = parser.parse(expr);
    tree.iterate({
      enter: (n) => {
        if (n.type.isError) throw new Error(`not PromQL at ${n.from}: ${expr}`);
        if (n.name === 'Identifier') names.push(expr.slice(n.from, n.to));
      },
    });
    return names;
  }

  it('is a PrometheusRule with the alerts the fleet needs: LNI down 5 minutes, up failed, watch repairing in a loop', () => {
    expect(doc).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(byName.OutpostsLniDown).toMatchObject({ for: '5m', expr: expect.stringContaining('lni_up') });
    expect(byName.OutpostsLniUpFailed?.expr).toContain('up_exit_code');
    expect(byName.OutpostsLniWatchRepairLoop?.expr).toContain('watch_repairs_total');
    for (const r of rules) expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning)$/);
  });

  it('every expression parses as PromQL and names only metrics that exist', () => {
    for (const r of rules) {
      const names = metricsOf(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(known.has(n), `${r.alert} uses ${n}`).toBe(true);
    }
  });

  it('negative control: a misspelt metric or broken PromQL is caught', () => {
    expect(metricsOf('outposts_node_agent_lni_upp == 0').some((n) => !known.has(n))).toBe(true);
    expect(() => metricsOf('rate(outposts_node_agent_watch_repairs_total[5m) > 1')).toThrow(/not PromQL/);
  });
});
