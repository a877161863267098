// P6: `sweep` over thousands of agent-tagged ENIs (most owned by a live instance, some orphans): wall and CPU.
import type { Lab, LabNode } from '../../test/lab/lab.ts';
import { type AgentRuntime, agentArgv } from '../lib/agent-runtime.ts';
import { BULK_SUBNET } from '../lib/bench-lab.ts';
import { measureInNode } from '../lib/measure.ts';
import { type Figure, figure } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

const OWNER = 'outposts-node-agent:owner-instance';
const GONE = 'i-0deadbeefdeadbeef';

/**
 * Seeds TOTAL tagged, unattached ENIs once (a tenth of them orphans of a terminated instance, the rest owned by
 * a live one), then runs `sweep` RUNS times, re-seeding the deleted orphans before each run.
 */
export async function sweepFigures(
  lab: Lab,
  node: LabNode,
  runtime: AgentRuntime,
  total: number,
  runs: number,
): Promise<Figure[]> {
  const orphans = Math.round(total / 10);
  lab.state.seedEnis(total - orphans, {
    subnetId: BULK_SUBNET,
    tags: [{ key: OWNER, value: node.instanceId }],
  });
  const results = [];
  const examineCpu: number[] = [];
  const sweepArgs = ['sweep', '--json', '--set', 'sweep.gracePeriodSeconds=0'];
  for (let i = 0; i < runs; i++) {
    lab.state.seedEnis(orphans, { subnetId: BULK_SUBNET, tags: [{ key: OWNER, value: GONE }] });
    // The same examination without the deletes, to tell reading 10,000 ENIs from deleting the orphans.
    const dry = await measureInNode(lab, node, agentArgv(runtime, node, [...sweepArgs, '--dry-run']), {
      timeoutMs: 300_000,
    });
    if (dry.exitCode !== 0)
      throw new Error(`sweep --dry-run exited ${dry.exitCode}: ${dry.stderr.slice(-2000)}`);
    examineCpu.push(dry.cpuMs);
    const m = await measureInNode(lab, node, agentArgv(runtime, node, sweepArgs), { timeoutMs: 300_000 });
    if (m.exitCode !== 0) throw new Error(`sweep exited ${m.exitCode}: ${m.stderr.slice(-2000)}`);
    const out = JSON.parse(m.stdout) as { examined: number; deleted: string[] };
    if (out.deleted.length !== orphans)
      throw new Error(`sweep deleted ${out.deleted.length} of ${orphans} orphans (examined ${out.examined})`);
    results.push({ ...m, examined: out.examined });
  }
  const examined = results[0]?.examined ?? 0;
  const calls = results[0]?.ec2Calls ?? [];
  const count = (action: string) => calls.filter((c) => c.action === action).length;
  return [
    figure({
      id: 'p6.wall',
      label: `P6 sweep over ${examined} ENIs, wall`,
      unit: 'ms',
      value: summarize(results.map((r) => r.wallMs)),
      note: `${orphans} orphans deleted per run; ${calls.length} EC2 calls (${count('DescribeNetworkInterfaces')} describe pages, ${count('DescribeInstances')} DescribeInstances, ${count('DeleteNetworkInterface')} deletes); lab answering ${Math.round(summarize(results.map((r) => r.ec2BusyMs)).median)} ms`,
    }),
    figure({
      id: 'p6.cpu',
      label: 'P6 sweep agent CPU (user+sys)',
      unit: 'ms',
      value: summarize(results.map((r) => r.cpuMs)),
      goal: { op: '<=', target: 2000 },
      note: `of which examining alone (--dry-run: describe pages, owners' states, no delete) ${Math.round(summarize(examineCpu).median)} ms; peak RSS ${Math.round(summarize(results.map((r) => r.maxRssKb / 1024)).median)} MB`,
    }),
  ];
}
