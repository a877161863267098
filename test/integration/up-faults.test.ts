// Faults at the lab's endpoints: `up` converges through throttling, 5xx and eventual consistency, or fails with its exit code and leaks nothing.
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import type { CallRecord } from '../lab/types.ts';
import { callsFrom, hostSnapshot, lastSeq, staticConfig } from './helpers.ts';

/** How many of CALLS failed with each EC2 error code. */
function errorCounts(calls: CallRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of calls) if (c.errorCode) counts[c.errorCode] = (counts[c.errorCode] ?? 0) + 1;
  return counts;
}

/** The node's one LNI is attached at index 1 with DeleteOnTermination and carries ADDRESS on the host. */
async function expectConverged(
  expect: ExpectStatic,
  lab: Lab,
  node: LabNode,
  address: string,
): Promise<void> {
  const owned = lab.ownedEnis(node);
  expect(owned).toHaveLength(1);
  expect(owned[0]?.attachment).toMatchObject({
    deviceIndex: 1,
    status: 'attached',
    deleteOnTermination: true,
  });
  const link = await lab.net.linkByMac(node.ns, owned[0]?.macAddress ?? 'none');
  const addrs = (await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', link?.ifname ?? 'lo']))
    .stdout;
  expect(addrs).toContain(`${address}/24`);
}

// Faults are set per endpoint, so each scenario gets its own lab, and the four run side by side.
describe('up under injected faults', () => {
  const labs: Partial<Record<'ec2Flaky' | 'createThrottled' | 'imdsHang' | 'imds401', Lab>> = {};
  const labOf = (name: keyof typeof labs): Lab => {
    const l = labs[name];
    if (!l) throw new Error(`lab ${name} did not start`);
    return l;
  };
  beforeAll(async () => {
    await Promise.all([
      Lab.start({ nodes: 1, timings: { consistencyDelayMs: 1500 } }).then((l) => {
        labs.ec2Flaky = l;
      }),
      Lab.start({ nodes: 1 }).then((l) => {
        labs.createThrottled = l;
      }),
      Lab.start({ nodes: 1 }).then((l) => {
        labs.imdsHang = l;
      }),
      Lab.start({ nodes: 1 }).then((l) => {
        labs.imds401 = l;
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(labs).map((l) => l.destroy()));
  });

  it.concurrent('EC2 throttling (p=0.5), 500s, 503s and a new ENI NotFound for 1.5 s: converges with exactly one LNI, and the call log shows every kind of fault was really served', async ({
    expect,
  }) => {
    const lab = labOf('ec2Flaky');
    const node = lab.node(1);
    // Bounded counts keep the worst case for one call (4 throttles + 2 errors) under the SDK's 8 attempts.
    lab.ec2.faults.add({ action: '*', kind: 'throttle', probability: 0.5, times: 4 });
    lab.ec2.faults.add({ action: 'DescribeSubnets', kind: 'server-error', times: 2 });
    lab.ec2.faults.add({ action: 'CreateNetworkInterface', kind: 'server-error', times: 1 });
    lab.ec2.faults.add({ action: 'AttachNetworkInterface', kind: 'unavailable', times: 2 });
    lab.ec2.faults.add({ action: 'DescribeNetworkInterfaces', kind: 'unavailable', times: 1 });
    const started = performance.now();
    // The faults here are for the calls that change EC2; preflight's DryRun would take some of them (a probe
    // under throttling is the next scenario's).
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.31', { preflight: { enabled: false } }),
      timeoutMs: 90_000,
    });
    const wallMs = performance.now() - started;
    lab.ec2.faults.clear();
    expect(r.exitCode, r.stderr).toBe(0);
    await expectConverged(expect, lab, node, '192.0.2.31');
    expect(lab.state.allEnis()).toHaveLength(lab.nodes.length + 1);

    const calls = callsFrom(lab, node);
    const errors = errorCounts(calls);
    console.log(
      `faults: up converged in ${Math.round(wallMs)} ms over ${calls.length} EC2 calls; errors ${JSON.stringify(errors)}`,
    );
    expect(errors.RequestLimitExceeded ?? 0).toBeGreaterThan(0);
    expect(errors.InternalError).toBe(3);
    expect(errors.Unavailable).toBe(3);
    // When the first attach came inside the 1.5 s window in which the new ENI is NotFound, the endpoint
    // answered NotFound and the agent waited it out (on a loaded machine throttling can delay it past the window).
    const created = calls.find((c) => c.action === 'CreateNetworkInterface' && c.status === 200);
    const firstAttach = calls.find(
      (c) =>
        c.action === 'AttachNetworkInterface' &&
        (!c.errorCode || c.errorCode === 'InvalidNetworkInterfaceID.NotFound'),
    );
    if (created && firstAttach && firstAttach.startedAt - created.startedAt < 1_400)
      expect(errors['InvalidNetworkInterfaceID.NotFound'] ?? 0).toBeGreaterThan(0);
    // A retried create is the same ENI: every create carried one ClientToken.
    // (up's preflight probe is a DryRun of the create, with a token of the SDK's: not a create.)
    const creates = calls.filter((c) => c.action === 'CreateNetworkInterface' && !c.dryRun);
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(creates.map((c) => c.params.ClientToken)).size).toBe(1);
  }, 120_000);

  it.concurrent('EC2 always throttling CreateNetworkInterface: exit 4 naming the action and RequestLimitExceeded, creates no ENI, leaves the host alone; then converges once the throttling stops', async ({
    expect,
  }) => {
    const lab = labOf('createThrottled');
    const node = lab.node(1);
    const host = await hostSnapshot(lab, node);
    lab.ec2.faults.add({ action: 'CreateNetworkInterface', kind: 'throttle' });
    const started = performance.now();
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.32'), timeoutMs: 110_000 });
    const wallMs = performance.now() - started;
    lab.ec2.faults.clear();
    const creates = callsFrom(lab, node).filter((c) => c.action === 'CreateNetworkInterface' && !c.dryRun);
    console.log(
      `faults: always-throttled create failed after ${Math.round(wallMs)} ms and ${creates.length} attempts`,
    );
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/CreateNetworkInterface.*RequestLimitExceeded/);
    // The throttled preflight probe gave no verdict: logged, and the run went on to the real call.
    expect(
      r.logs.find((l) => l.msg === 'preflight: no permission verdict for CreateNetworkInterface'),
    ).toMatchObject({ code: 'RequestLimitExceeded' });
    expect(creates.length).toBeGreaterThan(1);
    expect(creates.every((c) => c.errorCode === 'RequestLimitExceeded')).toBe(true);
    expect(lab.ownedEnis(node)).toHaveLength(0);
    expect(lab.state.allEnis()).toHaveLength(lab.nodes.length);
    expect(await hostSnapshot(lab, node)).toBe(host);

    const since = lastSeq(lab);
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    await expectConverged(expect, lab, node, '192.0.2.32');
    expect(lab.state.allEnis()).toHaveLength(lab.nodes.length + 1);
    // The rerun created with the ClientToken the failed run recorded before its first attempt.
    const retry = callsFrom(lab, node, since).filter(
      (c) => c.action === 'CreateNetworkInterface' && !c.dryRun,
    );
    expect(retry.map((c) => c.params.ClientToken)).toEqual([creates[0]?.params.ClientToken]);
  }, 150_000);

  it.concurrent('IMDS hanging: exit 3 within a bound (4 token tries of 2 s), no EC2 call, host unchanged; converges once IMDS answers', async ({
    expect,
  }) => {
    const lab = labOf('imdsHang');
    const node = lab.node(1);
    const host = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    const imdsBefore = lab.imds.calls().length;
    lab.imds.faults.set({ kind: 'hang' });
    const started = performance.now();
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.33'), timeoutMs: 60_000 });
    const wallMs = performance.now() - started;
    const exitedAt = Date.now();
    lab.imds.faults.clear();
    const tries = lab.imds
      .calls()
      .slice(imdsBefore)
      .filter((c) => c.source.endsWith(node.primaryIp));
    // From the agent's first IMDS request to its exit: the IMDS adapter's own bound, without process start-up.
    const imdsWindowMs = exitedAt - (tries[0]?.startedAt ?? exitedAt);
    console.log(
      `faults: IMDS hang → exit ${r.exitCode} after ${Math.round(wallMs)} ms (${imdsWindowMs} ms from the first IMDS request), ${tries.length} IMDS requests (${tries.map((c) => `${c.method} ${c.path}`).join(', ')}); ${r.stderr.trim().split('\n').at(-1)}`,
    );
    expect(r.exitCode, r.stderr).toBe(3);
    expect(imdsWindowMs).toBeGreaterThan(0);
    expect(imdsWindowMs).toBeLessThan(12_000);
    expect(wallMs).toBeLessThan(45_000);
    expect(r.stderr).toMatch(/IMDS/);
    // It retried the token before giving up, and never fell back to token-less IMDSv1 reads.
    expect(tries.filter((c) => c.method === 'PUT').length).toBeGreaterThan(1);
    expect(tries.filter((c) => !c.withToken && c.method === 'GET')).toEqual([]);
    expect(callsFrom(lab, node, since)).toEqual([]);
    expect(await hostSnapshot(lab, node)).toBe(host);
    expect(lab.ownedEnis(node)).toHaveLength(0);

    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    await expectConverged(expect, lab, node, '192.0.2.33');
  });

  it.concurrent('IMDS answering 401 to every read: exit 3 naming the 401, no EC2 call; converges once IMDS answers', async ({
    expect,
  }) => {
    const lab = labOf('imds401');
    const node = lab.node(1);
    const host = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    lab.imds.faults.set({ kind: 'unauthorized' });
    const started = performance.now();
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.34') });
    const wallMs = performance.now() - started;
    lab.imds.faults.clear();
    console.log(
      `faults: IMDS 401 → exit ${r.exitCode} after ${Math.round(wallMs)} ms; ${r.stderr.trim().split('\n').at(-1)}`,
    );
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/IMDS.*401/);
    expect(callsFrom(lab, node, since)).toEqual([]);
    expect(await hostSnapshot(lab, node)).toBe(host);

    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    await expectConverged(expect, lab, node, '192.0.2.34');
    expect(lab.state.allEnis()).toHaveLength(lab.nodes.length + 1);
  });
});
