// P7: many lab nodes run `up` at once against one EC2 endpoint that throttles: convergence, duplicates, latency.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { callsFrom } from '../../test/integration/helpers.ts';
import type { Lab, LabNode } from '../../test/lab/lab.ts';
import { type AgentRuntime, agentArgv } from '../lib/agent-runtime.ts';
import { benchConfig } from '../lib/bench-lab.ts';
import type { LaunchJob, LaunchResult } from '../lib/launch-many.ts';
import { type Figure, figure } from '../lib/report.ts';
import { percentile } from '../lib/stats.ts';

export const THROTTLE_PROBABILITY = 0.2;
/**
 * The lab packs every node onto this machine's cores, next to the process serving EC2 and IMDS; on AWS each node
 * has its own CPU and the endpoints are elsewhere. Agents run at this niceness so the endpoints still answer.
 */
export const AGENT_NICE = 10;
/** A failed `up` is run again, as the unit's Restart=on-failure would (without its RestartSec), this often. */
const RETRIES = 2;
/** Exit codes the unit does not restart on (RestartPreventExitStatus): bad config, node cannot host an LNI. */
const FINAL_EXIT_CODES = new Set([2, 11]);
const LAUNCHER = fileURLToPath(new URL('../lib/launch-many.ts', import.meta.url));

/** Runs `up` on NODES at the same moment from a helper process; results in the same order. */
async function launchAll(nodes: readonly LabNode[], runtime: AgentRuntime): Promise<LaunchResult[]> {
  const jobs: LaunchJob[] = nodes.map((node) => ({
    ns: node.ns,
    argv: agentArgv(runtime, node, ['up']),
    env: node.env,
    nice: AGENT_NICE,
  }));
  const r = await execa(process.execPath, ['--import', 'tsx', LAUNCHER], {
    input: JSON.stringify(jobs),
    timeout: 900_000,
  });
  return JSON.parse(String(r.stdout)) as LaunchResult[];
}

interface Outcome {
  node: LabNode;
  attempts: LaunchResult[];
  ok: boolean;
}

/** One tagged ENI attached with DeleteOnTermination, and `up` said so. */
function converged(lab: Lab, node: LabNode, last: LaunchResult | undefined): boolean {
  const owned = lab.ownedEnis(node);
  const a = owned[0]?.attachment;
  return last?.exitCode === 0 && owned.length === 1 && a?.status === 'attached' && !!a.deleteOnTermination;
}

const lastLine = (r: LaunchResult | undefined) =>
  (r?.stderrTail.trim().split('\n').at(-1) ?? '')
    .replace(/eni-[0-9a-f]+/g, 'eni-…')
    .replace(/macs\/[^/]+/, 'macs/…');

/**
 * Every node of LAB runs `up` at the same moment while each EC2 call is throttled with probability 0.2; nodes
 * that fail run it again (all of them at once) up to RETRIES times, as systemd would restart the unit.
 */
export async function scaleFigures(lab: Lab, runtime: AgentRuntime): Promise<Figure[]> {
  await Promise.all(lab.nodes.map((n) => lab.writeConfig(n, benchConfig(n))));
  const outcomes: Outcome[] = lab.nodes.map((node) => ({ node, attempts: [], ok: false }));
  const firstSeq = lab.ec2.calls().at(-1)?.seq ?? 0;
  lab.ec2.faults.add({ action: '*', kind: 'throttle', probability: THROTTLE_PROBABILITY });
  // How late this process (which serves EC2 and IMDS, and hot-plugs ENIs) got to its work while the agents ran.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  try {
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      const due = outcomes.filter(
        (o) =>
          !o.ok && !FINAL_EXIT_CODES.has(o.attempts.at(-1)?.exitCode ?? -1) && o.attempts.length === attempt,
      );
      if (!due.length) break;
      const results = await launchAll(
        due.map((o) => o.node),
        runtime,
      );
      due.forEach((o, i) => {
        const r = results[i];
        if (r) o.attempts.push(r);
        o.ok = converged(lab, o.node, r);
      });
    }
  } finally {
    lab.ec2.faults.clear();
    lag.disable();
  }
  const lagText = `lab endpoints' event-loop delay p99 ${Math.round(lag.percentile(99) / 1e6)} ms, max ${Math.round(lag.max / 1e6)} ms`;
  const n = outcomes.length;
  const start = Math.min(...outcomes.map((o) => o.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY));
  const times = outcomes.filter((o) => o.ok).map((o) => (o.attempts.at(-1)?.endedAt ?? Number.NaN) - start);
  const firstTry = outcomes.filter((o) => o.ok && o.attempts.length === 1).length;
  const firstFailures = new Map<string, number>();
  for (const o of outcomes.filter((x) => x.attempts.length > 1 || !x.ok)) {
    const key = `exit ${o.attempts[0]?.exitCode}: ${lastLine(o.attempts[0])}`;
    firstFailures.set(key, (firstFailures.get(key) ?? 0) + 1);
  }
  const calls = lab.ec2.calls().filter((c) => c.seq > firstSeq);
  const throttled = calls.filter((c) => c.errorCode === 'RequestLimitExceeded').length;
  const duplicates = outcomes.reduce((sum, o) => sum + Math.max(0, lab.ownedEnis(o.node).length - 1), 0);
  const eventually = outcomes.filter((o) => o.ok).length;
  return [
    figure({
      id: 'p7.converged',
      label: `P7 nodes converged on the first try, ${n} at once, throttling ${THROTTLE_PROBABILITY * 100}%`,
      unit: 'count',
      value: firstTry,
      goal: { op: '=', target: n },
      note: `${runtime.label} at nice ${AGENT_NICE}; ${calls.length} EC2 calls, ${throttled} throttled; ${lagText}${firstFailures.size ? `; first-try failures: ${[...firstFailures].map(([k, c]) => `${c}× ${k}`).join(' | ')}` : ''}`,
      detail: outcomes
        .filter((o) => o.attempts.length > 1 || !o.ok)
        .map((o) => ({
          node: o.node.n,
          converged: o.ok,
          attempts: o.attempts.map((a) => ({ exitCode: a.exitCode, stderrTail: a.stderrTail })),
          ec2Calls: callsFrom(lab, o.node, firstSeq).map(
            (c) =>
              `${c.startedAt - start} ms ${c.action} ${c.status} ${c.errorCode ?? ''} (${Math.round(c.durationMs)} ms)`,
          ),
          // Every call, from any source, that named one of the ENIs this node owns now.
          callsOnItsEnis: calls
            .filter((c) =>
              lab.ownedEnis(o.node).some((e) => c.params.NetworkInterfaceId === e.networkInterfaceId),
            )
            .map(
              (c) =>
                `${c.startedAt - start} ms from ${c.source} ${c.action} ${c.status} ${c.errorCode ?? ''} (${Math.round(c.durationMs)} ms)`,
            ),
        })),
    }),
    figure({
      id: 'p7.converged-retried',
      label: `P7 nodes converged after up to ${RETRIES} restarts`,
      unit: 'count',
      value: eventually,
      goal: { op: '=', target: n },
    }),
    figure({
      id: 'p7.duplicates',
      label: 'P7 duplicate ENIs',
      unit: 'count',
      value: duplicates,
      goal: { op: '=', target: 0 },
    }),
    figure({ id: 'p7.p50', label: 'P7 time to converge, p50', unit: 'ms', value: percentile(times, 50) }),
    figure({ id: 'p7.p99', label: 'P7 time to converge, p99', unit: 'ms', value: percentile(times, 99) }),
  ];
}
