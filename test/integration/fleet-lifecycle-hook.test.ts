// The ASG termination lifecycle hook handled by `watch` on the node: release, heartbeats, CompleteLifecycleAction (or not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTOSCALING_ACTIONS } from '../../agent/model/ec2-actions.ts';
import type { LabLifecycleAction, ScaleIn, ScaleInOutcome } from '../lab/autoscaling/state.ts';
import { Lab, type LabNode, parseLogs } from '../lab/lab.ts';
import type { CallRecord } from '../lab/types.ts';
import { agentMetric, staticConfig } from './helpers.ts';

/** One group per scenario, so each gets its own hook timeout. */
const GROUPS = {
  main: { name: 'fleet-main', hook: 'fleet-main-terminating', timeout: 30, nodes: [1, 3] },
  nth: { name: 'fleet-nth', hook: 'fleet-nth-terminating', timeout: 5, nodes: [2] },
  slow: { name: 'fleet-slow', hook: 'fleet-slow-terminating', timeout: 4, nodes: [4] },
  stop: { name: 'fleet-stop', hook: 'fleet-stop-terminating', timeout: 30, nodes: [5] },
  shared: { name: 'fleet-shared', hook: 'fleet-shared-lni', timeout: 30, nodes: [6] },
} as const;
/** Group fleet-shared has a second terminating hook, aws-node-termination-handler's (it drains, then completes it). */
const NTH_HOOK = { name: 'fleet-shared-nth-drain', timeout: 5 };

const ADDRESSES = ['192.0.2.71', '192.0.2.72', '192.0.2.73', '192.0.2.74', '192.0.2.75', '192.0.2.76'];
/** Node 5 runs no watch: only systemd's stop path (`release --reason stop`) can act for it. */
const WITHOUT_WATCH = 5;
/**
 * The hook each node's agent owns (lifecycleHook.name): its group's own hook, except node 2, whose group's only
 * terminating hook belongs to another tool (aws-node-termination-handler, say), so its agent is given none.
 */
const LIFECYCLE_HOOK_CONFIG = (n: number): Record<string, unknown> => {
  if (n === 2) return {};
  const group = Object.values(GROUPS).find((g) => (g.nodes as readonly number[]).includes(n));
  return { name: group?.hook };
};

type Watcher = ReturnType<Lab['spawnAgent']>;

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('termination lifecycle hook from the node (watch, no SQS)', () => {
  let lab: Lab;
  const watchers = new Map<number, Watcher>();
  const watchStartedAt = new Map<number, number>();
  const watcherOf = (node: LabNode): Watcher => {
    const watcher = watchers.get(node.n);
    if (!watcher) throw new Error(`no watch on node ${node.n}`);
    return watcher;
  };

  /**
   * The lab's hook timeouts are seconds where AWS's are at least 30 s, so the poll is compressed alike: 1 s instead
   * of the 5 s default (which is a sixth of the shortest real timeout).
   */
  const config = (node: LabNode, lifecycleHook: Record<string, unknown> = {}) =>
    staticConfig(ADDRESSES[node.n - 1] ?? '', { lifecycleHook: { pollSeconds: 1, ...lifecycleHook } });

  /** `up`, then `watch` in the background until it logs that it started. */
  async function upAndWatch(node: LabNode): Promise<void> {
    const up = await lab.agent(node, ['up'], { config: config(node, LIFECYCLE_HOOK_CONFIG(node.n)) });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(lab.ownedEnis(node)).toHaveLength(1);
    watchStartedAt.set(node.n, Date.now());
    const watcher = lab.spawnAgent(node, ['watch']);
    watchers.set(node.n, watcher);
    let seen = '';
    await within(
      new Promise<void>((resolve) =>
        watcher.stderr?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('watch: started')) resolve();
        }),
      ),
      60_000,
      'watch start',
    );
  }

  /** SIGTERM after the work is done: watch exits 0; its JSON log lines. */
  async function stop(watcher: Watcher) {
    watcher.kill('SIGTERM');
    const r = await watcher;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return parseLogs(String(r.stderr));
  }

  const asgCalls = (node: LabNode): CallRecord[] =>
    lab.autoScaling.calls().filter((c) => c.source === node.primaryIp);

  const completion = (node: LabNode) => asgCalls(node).find((c) => c.action === 'CompleteLifecycleAction');

  function onlyAction(scaleIn: ScaleIn): LabLifecycleAction {
    expect(scaleIn.actions).toHaveLength(1);
    return scaleIn.actions[0] as LabLifecycleAction;
  }

  beforeAll(async () => {
    lab = await Lab.start({
      nodes: 6,
      autoScaling: (instanceIds) => ({
        groups: Object.values(GROUPS).map((g) => ({
          name: g.name,
          instanceIds: g.nodes.map((n) => instanceIds[n - 1] ?? ''),
          hooks: [
            { name: g.hook, heartbeatTimeout: g.timeout, defaultResult: 'CONTINUE' as const },
            ...(g === GROUPS.shared
              ? [
                  {
                    name: NTH_HOOK.name,
                    heartbeatTimeout: NTH_HOOK.timeout,
                    defaultResult: 'CONTINUE' as const,
                  },
                ]
              : []),
          ],
        })),
      }),
    });
    await Promise.all(
      lab.nodes.map(async (node) => {
        if (node.n !== WITHOUT_WATCH) return upAndWatch(node);
        const up = await lab.agent(node, ['up'], { config: config(node, LIFECYCLE_HOOK_CONFIG(node.n)) });
        expect(up.exitCode, up.stderr).toBe(0);
      }),
    );
  });
  afterAll(async () => {
    for (const w of watchers.values()) w.kill('SIGKILL');
    await lab?.destroy();
  });

  it('scale-in: watch releases the LNI and completes the hook with CONTINUE; the instance terminates long before the hook timeout', async () => {
    const node = lab.node(1);
    const watcher = watcherOf(node);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    // Until then, watching costs one IMDS GET per poll with a reused IMDSv2 token: no EC2, no Auto Scaling.
    const since = watchStartedAt.get(node.n) ?? 0;
    const fromNode = (c: { source: string; startedAt: number }) =>
      c.source === node.primaryIp && c.startedAt >= since;
    const polls = () => lab.imds.calls().filter((c) => fromNode(c) && c.method === 'GET');
    await within(
      (async () => {
        while (polls().length < 3) await new Promise((resolve) => setTimeout(resolve, 200));
      })(),
      20_000,
      'three polls',
    );
    const idle = lab.imds.calls().filter(fromNode);
    const tokens = idle.filter((c) => c.method === 'PUT');
    console.log(`idle watch: ${polls().length} GET(s) of the lifecycle state, ${tokens.length} token PUT(s)`);
    expect([...new Set(polls().map((c) => c.path))]).toEqual([
      '/latest/meta-data/autoscaling/target-lifecycle-state',
    ]);
    expect(polls().every((c) => c.withToken && c.status === 404)).toBe(true);
    expect(tokens.length).toBeLessThan(polls().length);
    expect([...lab.ec2.calls(), ...lab.autoScaling.calls()].filter(fromNode)).toEqual([]);
    const scaleIn = lab.scaleIn(node);
    const outcome: ScaleInOutcome = await within(scaleIn.done, 20_000, 'lifecycle action completed');
    expect(outcome).toMatchObject({ result: 'CONTINUE', endedBy: 'complete' });
    const complete = completion(node);
    expect(complete?.params).toMatchObject({
      AutoScalingGroupName: GROUPS.main.name,
      LifecycleHookName: GROUPS.main.hook,
      InstanceId: node.instanceId,
      LifecycleActionResult: 'CONTINUE',
    });
    expect(complete?.status).toBe(200);
    const terminatedToComplete = (complete?.startedAt ?? 0) - scaleIn.startedAt;
    // Noticed when the agent first asks Auto Scaling (at once, beside release); the rest is release.
    const noticed = (asgCalls(node)[0]?.startedAt ?? 0) - scaleIn.startedAt;
    console.log(
      `Terminated in IMDS → CompleteLifecycleAction: ${terminatedToComplete} ms (noticed after ${noticed} ms with a 1 s poll; release and completion ${terminatedToComplete - noticed} ms; hook timeout ${GROUPS.main.timeout} s)`,
    );
    expect(terminatedToComplete).toBeLessThan(10_000);
    // The group found (DescribeAutoScalingInstances), the configured hook's timeout read (DescribeLifecycleHooks).
    expect(asgCalls(node).map((c) => c.action)).toEqual([
      'DescribeAutoScalingInstances',
      'DescribeLifecycleHooks',
      'CompleteLifecycleAction',
    ]);
    // Released before the completion, so nothing of the agent's outlives the instance.
    expect(lab.state.getEni(eniId)).toBeUndefined();
    const deleted = lab.ec2
      .calls()
      .find((c) => c.action === 'DeleteNetworkInterface' && c.params.NetworkInterfaceId === eniId);
    expect(deleted?.status).toBe(200);
    expect(deleted?.startedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(complete?.startedAt ?? 0);
    await lab.state.settled();
    expect(lab.state.getInstance(node.instanceId)?.state).toBe('terminated');
    expect(outcome.endedAt - scaleIn.startedAt).toBeLessThan(GROUPS.main.timeout * 1000);
    // The LNI's removal raises netlink events; watch repairs nothing and stays up until it is signalled.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(watcher.exitCode, 'watch exited before it was signalled').toBeNull();
    // The metrics file says so: one completion (done), the LNI gone.
    expect(
      await agentMetric(node, 'outposts_node_agent_lifecycle_hook_completions_total', { result: 'done' }),
    ).toBe(1);
    expect(await agentMetric(node, 'outposts_node_agent_lni_present')).toBe(0);
    const logs = await stop(watcher);
    expect(logs.map((l) => l.msg)).toContain('watch: the node is terminating; no more repairs until stopped');
  });

  it("no lifecycleHook.name: watch releases but leaves the group's only terminating hook (another tool's) alone: the instance terminates only at its timeout", async () => {
    const node = lab.node(2);
    const watcher = watcherOf(node);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    const scaleIn = lab.scaleIn(node);
    const outcome = await within(scaleIn.done, GROUPS.nth.timeout * 1000 + 10_000, 'hook timeout');
    expect(outcome).toMatchObject({ result: 'CONTINUE', endedBy: 'timeout' });
    expect(outcome.endedAt - scaleIn.startedAt).toBeGreaterThanOrEqual(GROUPS.nth.timeout * 1000 - 5);
    expect(onlyAction(scaleIn).heartbeats).toEqual([]);
    expect(asgCalls(node)).toEqual([]);
    const deleted = lab.ec2
      .calls()
      .find((c) => c.action === 'DeleteNetworkInterface' && c.params.NetworkInterfaceId === eniId);
    expect(deleted?.status).toBe(200);
    expect(deleted?.startedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(outcome.endedAt);
    const logs = await stop(watcher);
    expect(logs.map((l) => l.msg)).toContain(
      'lifecycle: no lifecycleHook.name configured; leaving every lifecycle hook to its owner',
    );
  });

  it("a group shared with aws-node-termination-handler: the agent completes only its own hook; NTH's waits for NTH (here: its timeout)", async () => {
    const node = lab.node(6);
    const watcher = watcherOf(node);
    const scaleIn = lab.scaleIn(node);
    expect(scaleIn.actions.map((a) => a.hook).sort()).toEqual([GROUPS.shared.hook, NTH_HOOK.name].sort());
    const outcome = await within(scaleIn.done, NTH_HOOK.timeout * 1000 + 10_000, 'both hooks ended');
    const ended = Object.fromEntries(scaleIn.actions.map((a) => [a.hook, a.endedBy]));
    expect(ended).toEqual({ [GROUPS.shared.hook]: 'complete', [NTH_HOOK.name]: 'timeout' });
    // Nothing the agent sent named the other tool's hook: no heartbeat, no completion.
    const named = asgCalls(node)
      .map((c) => c.params.LifecycleHookName)
      .filter(Boolean);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([GROUPS.shared.hook]));
    expect(scaleIn.actions.find((a) => a.hook === NTH_HOOK.name)?.heartbeats).toEqual([]);
    expect(outcome.endedAt - scaleIn.startedAt).toBeGreaterThanOrEqual(NTH_HOOK.timeout * 1000 - 5);
    await stop(watcher);
  });

  it('an EC2 fault during release (DetachNetworkInterface denied) still completes the hook; EC2 deletes the LNI with the instance', async () => {
    const node = lab.node(3);
    const watcher = watcherOf(node);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    lab.state.deny('DetachNetworkInterface');
    try {
      const scaleIn = lab.scaleIn(node);
      const outcome = await within(scaleIn.done, 20_000, 'lifecycle action completed');
      expect(outcome).toMatchObject({ result: 'CONTINUE', endedBy: 'complete' });
      const denied = lab.ec2
        .calls()
        .filter((c) => c.action === 'DetachNetworkInterface' && c.source === node.primaryIp);
      expect(denied.map((c) => c.errorCode)).toContain('UnauthorizedOperation');
      expect(completion(node)?.status).toBe(200);
    } finally {
      lab.state.allow('DetachNetworkInterface');
    }
    await lab.state.settled();
    expect(lab.state.getInstance(node.instanceId)?.state).toBe('terminated');
    expect(lab.state.getEni(eniId)).toBeUndefined();
    const logs = await stop(watcher);
    expect(
      logs.find((l) => l.msg === 'lifecycle: release failed; completing the lifecycle hook anyway')?.err,
    ).toMatch(/UnauthorizedOperation/);
  });

  it('a release slower than the hook timeout is kept alive by heartbeats, then completed by the agent', async () => {
    const node = lab.node(4);
    const watcher = watcherOf(node);
    const timeoutMs = GROUPS.slow.timeout * 1000;
    lab.ec2.faults.add({
      action: 'DeleteNetworkInterface',
      kind: 'latency',
      latencyMs: timeoutMs + 2000,
      times: 1,
    });
    const scaleIn = lab.scaleIn(node);
    const outcome = await within(scaleIn.done, timeoutMs + 20_000, 'lifecycle action completed');
    expect(outcome).toMatchObject({ result: 'CONTINUE', endedBy: 'complete' });
    const beats = onlyAction(scaleIn).heartbeats.map((t) => t - scaleIn.startedAt);
    console.log(
      `heartbeats at ${beats.join(', ')} ms after Terminated; completed at ${outcome.endedAt - scaleIn.startedAt} ms (timeout ${timeoutMs} ms)`,
    );
    expect(beats.length).toBeGreaterThanOrEqual(1);
    expect(beats[0]).toBeLessThan(timeoutMs);
    expect(outcome.endedAt - scaleIn.startedAt).toBeGreaterThan(timeoutMs);
    expect(
      asgCalls(node)
        .filter((c) => c.action === 'RecordLifecycleActionHeartbeat')
        .map((c) => c.status),
    ).toEqual(beats.map(() => 200));
    await stop(watcher);
  });

  it("systemd's stop path: with no watch, `release --reason stop` during Terminating:Wait releases the LNI and completes the hook", async () => {
    const node = lab.node(WITHOUT_WATCH);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    const scaleIn = lab.scaleIn(node);
    // What ExecStop runs when the node is shut down while its group waits on the hook.
    const r = await lab.agent(node, ['release', '--reason', 'stop']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`delete ${eniId}`);
    const outcome = await within(scaleIn.done, 20_000, 'lifecycle action completed');
    expect(outcome).toMatchObject({ result: 'CONTINUE', endedBy: 'complete' });
    expect(outcome.endedAt - scaleIn.startedAt).toBeLessThan(GROUPS.stop.timeout * 1000);
    expect(asgCalls(node).map((c) => c.action)).toEqual([
      'DescribeAutoScalingInstances',
      'DescribeLifecycleHooks',
      'CompleteLifecycleAction',
    ]);
    expect(completion(node)?.params).toMatchObject({ AutoScalingGroupName: GROUPS.stop.name });
    const deleted = lab.ec2
      .calls()
      .find((c) => c.action === 'DeleteNetworkInterface' && c.params.NetworkInterfaceId === eniId);
    expect(deleted?.status).toBe(200);
    // Run again (systemd may stop the unit twice on a failed boot): nothing left to release or complete.
    const again = await lab.agent(node, ['release', '--reason', 'stop']);
    expect(again.exitCode, again.stderr).toBe(0);
  });

  it('called exactly the Auto Scaling actions the IAM policy grants (AUTOSCALING_ACTIONS)', () => {
    const calls = lab.autoScaling.calls();
    expect([...new Set(calls.map((c) => c.action))].sort()).toEqual([...AUTOSCALING_ACTIONS].sort());
  });
});
