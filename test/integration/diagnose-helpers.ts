// Helpers for the diagnose tests: run diagnose/preflight with --json, validate the report, a stand-in kubelet.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { CheckResult, DiagnoseReport } from '../../agent/model/checks.ts';
import type { AgentRun, Lab, LabNode } from '../lab/lab.ts';

const schema = JSON.parse(
  await readFile(new URL('../../docs/diagnose-schema.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
export const validateReport = ajv.compile(schema);

export interface Diagnosis {
  run: AgentRun;
  report: DiagnoseReport;
  check(id: string): CheckResult;
}

/** Runs `<command> --json` on the node and checks the output against docs/diagnose-schema.json. */
export async function diagnoseJson(
  lab: Lab,
  node: LabNode,
  opts: {
    command?: 'diagnose' | 'preflight';
    config?: Record<string, unknown>;
    env?: Record<string, string>;
  } = {},
): Promise<Diagnosis> {
  const run = await lab.agent(node, [opts.command ?? 'diagnose', '--json'], opts);
  let report: DiagnoseReport;
  try {
    report = JSON.parse(run.stdout) as DiagnoseReport;
  } catch {
    throw new Error(`no JSON report (exit ${run.exitCode}): ${run.stdout}\n${run.stderr}`);
  }
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  expect(run.exitCode).toBe(report.ok ? 0 : 8);
  return {
    run,
    report,
    check(id) {
      const c = report.checks.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
      return c;
    },
  };
}

/** Asserts the status of each named check; a mismatch shows what each differing check observed. */
export function expectStatuses(d: Diagnosis, want: Record<string, CheckResult['status']>): void {
  const got = Object.fromEntries(Object.keys(want).map((id) => [id, d.check(id).status]));
  const differing = Object.keys(want)
    .filter((id) => got[id] !== want[id])
    .map((id) => `${id}: ${got[id]} (${d.check(id).observed})`);
  expect(got, differing.join('\n')).toEqual(want);
}

/**
 * A process the kernel calls `kubelet` in the node's namespace, with these flags on its command line: a copy
 * of /bin/sh named kubelet, blocked in `read` on its stdin (comm is "kubelet", argv carries the flags, no child).
 */
export async function startKubelet(
  lab: Lab,
  node: LabNode,
  flags: string[],
): Promise<{ stop(): Promise<void> }> {
  const dir = join(node.dir, 'kubelet-bin');
  await mkdir(dir, { recursive: true });
  const bin = join(dir, 'kubelet');
  await copyFile('/bin/sh', bin).catch(() => {});
  const sub = lab.net.spawnIn(node.ns, bin, ['-c', 'read line; exit 0', 'kubelet', ...flags]);
  await new Promise((r) => setTimeout(r, 100));
  return {
    async stop() {
      sub.kill('SIGKILL');
      await sub.catch(() => undefined);
    },
  };
}
