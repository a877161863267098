// diagnose finishes within its documented bound when EC2 hangs, and when IMDS and EC2 both hang.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDS } from '../../agent/app/checks/context.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { diagnoseJson, expectStatuses } from './diagnose-helpers.ts';
import { staticConfig } from './helpers.ts';

/** The documented bound on the checks, plus the agent process's own start and exit (seconds on a loaded 2-core box). */
const WALL_MS = BOUNDS.total + 6000;

describe('diagnose is bounded in time', () => {
  let lab: Lab;
  let node: LabNode;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1, dhcp: false });
    node = lab.node(1);
    const up = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.51', { join: { mode: 'none' } }),
    });
    expect(up.exitCode, up.stderr).toBe(0);
  });
  afterEach(() => {
    lab.imds.faults.clear();
    lab.ec2.faults.clear();
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  async function timed() {
    const started = Date.now();
    const d = await diagnoseJson(lab, node, { env: {} });
    const wallMs = Date.now() - started;
    console.log(
      `diagnose: ${wallMs} ms wall, ${d.report.durationMs} ms of checks (bound ${d.report.boundMs} ms)`,
    );
    expect(d.report.durationMs).toBeLessThanOrEqual(BOUNDS.total);
    expect(wallMs).toBeLessThan(WALL_MS);
    // Slack for timers that fire late on a loaded machine; the total above is the hard bound.
    for (const c of d.report.checks) expect(c.durationMs, c.id).toBeLessThanOrEqual(c.timeoutMs + 2000);
    return d;
  }

  it('EC2 hanging: the EC2 checks fail naming the call that did not answer; the host checks still pass', async () => {
    lab.ec2.faults.add({ action: '*', kind: 'hang' });
    const d = await timed();
    expect(d.run.exitCode).toBe(8);
    expectStatuses(d, {
      'imds.v2': 'pass',
      'placement.outpost': 'fail',
      'lni.attached': 'skip',
      'permissions.describe-subnets': 'fail',
      'routing.rule': 'pass',
    });
    expect(d.check('placement.outpost').observed).toBe(
      `EC2 DescribeSubnets: no answer within ${BOUNDS.ec2} ms`,
    );
    expect(d.check('placement.outpost').hint).toMatch(/service link/);
  });

  it('IMDS and EC2 both hanging: IMDS fails, what needs it skips, the host side is checked from the state file', async () => {
    lab.imds.faults.set({ kind: 'hang' });
    lab.ec2.faults.add({ action: '*', kind: 'hang' });
    const d = await timed();
    expect(d.run.exitCode).toBe(8);
    expect(d.report.instanceId).toBeUndefined();
    expectStatuses(d, {
      'imds.reachable': 'fail',
      'imds.v2': 'skip',
      'placement.outpost': 'skip',
      'permissions.describe-subnets': 'skip',
      'routing.rule': 'pass',
    });
    expect(d.check('imds.reachable').observed).toMatch(/no answer/);
  });
});
