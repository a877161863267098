// `sweep`: deletes only unattached, agent-tagged ENIs whose owner is gone and that are past the grace period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULK_SUBNET, fixtureWithBulkSubnet } from '../lab/ec2/fixture.ts';
import { Lab } from '../lab/lab.ts';
import { agentMetric, callsFrom, lastSeq, mutating, staticConfig } from './helpers.ts';

const OWNER = 'outposts-node-agent:owner-instance';
const GONE = 'i-0deadbeefdeadbeef';

describe('sweep', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2, fixture: await fixtureWithBulkSubnet() });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('deletes the ENI a crash left between create and attach once its instance is gone and the grace period passed, and never a foreign ENI', async () => {
    const victim = lab.node(1);
    const sweeper = lab.node(2);
    await lab.writeConfig(victim, staticConfig('192.0.2.51'));
    const running = lab.spawnAgent(victim, ['up']);
    let seen = '';
    await new Promise<void>((resolve) => {
      running.stderr?.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('"step":"create-eni"')) resolve();
      });
    });
    running.kill('SIGKILL');
    await running;
    const orphan = lab.ownedEnis(victim)[0];
    expect(orphan?.status).toBe('available');
    lab.state.terminateInstance(victim.instanceId);
    await lab.state.settled();

    // Foreign ENIs: untagged, tagged by another tool, ours but owned by a live instance, ours but in use.
    const [untagged] = lab.state.seedEnis(1, { subnetId: BULK_SUBNET });
    const [otherTool] = lab.state.seedEnis(1, {
      subnetId: BULK_SUBNET,
      tags: [{ key: 'other-tool:owner-instance', value: GONE }],
    });
    const [liveOwner] = lab.state.seedEnis(1, {
      subnetId: BULK_SUBNET,
      tags: [{ key: OWNER, value: sweeper.instanceId }],
    });
    const [inUse] = lab.state.seedEnis(1, {
      subnetId: BULK_SUBNET,
      tags: [{ key: OWNER, value: GONE }],
      attachTo: { instanceId: sweeper.instanceId, deviceIndex: 3 },
    });
    await lab.writeConfig(sweeper, staticConfig('192.0.2.52', { sweep: { gracePeriodSeconds: 3600 } }));

    const young = await lab.agent(sweeper, ['sweep']);
    expect(young.exitCode, young.stderr).toBe(0);
    expect(lab.state.getEni(orphan?.networkInterfaceId ?? '')).toBeDefined();

    const dry = await lab.agent(sweeper, ['sweep', '--dry-run', '--set', 'sweep.gracePeriodSeconds=0']);
    expect(dry.stdout).toContain(`would delete ${orphan?.networkInterfaceId}`);
    expect(lab.state.getEni(orphan?.networkInterfaceId ?? '')).toBeDefined();

    const since = lastSeq(lab);
    const r = await lab.agent(sweeper, ['sweep', '--set', 'sweep.gracePeriodSeconds=0']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deleted ${orphan?.networkInterfaceId}`);
    expect(await agentMetric(sweeper, 'outposts_node_agent_sweep_deleted_enis_total')).toBe(1);
    expect(lab.state.getEni(orphan?.networkInterfaceId ?? '')).toBeUndefined();
    expect(mutating(callsFrom(lab, sweeper, since)).map((c) => c.params.NetworkInterfaceId)).toEqual([
      orphan?.networkInterfaceId,
    ]);
    for (const survivor of [untagged, otherTool, liveOwner, inUse])
      expect(lab.state.getEni(survivor?.networkInterfaceId ?? '')).toBeDefined();

    // Running it again (or from every node at once) finds nothing more to do.
    const again = await Promise.all([
      lab.agent(sweeper, ['sweep', '--set', 'sweep.gracePeriodSeconds=0']),
      lab.agent(sweeper, ['sweep', '--set', 'sweep.gracePeriodSeconds=0']),
    ]);
    for (const a of again) expect(a.exitCode, a.stderr).toBe(0);
  });

  it('pages through 10,000 tagged ENIs and deletes exactly the 1,000 orphans', async () => {
    const sweeper = lab.node(2);
    lab.state.seedEnis(9_000, { subnetId: BULK_SUBNET, tags: [{ key: OWNER, value: sweeper.instanceId }] });
    const orphans = lab.state.seedEnis(1_000, { subnetId: BULK_SUBNET, tags: [{ key: OWNER, value: GONE }] });
    const since = lastSeq(lab);
    const started = Date.now();
    const r = await lab.agent(sweeper, ['sweep', '--json', '--set', 'sweep.gracePeriodSeconds=0'], {
      timeoutMs: 120_000,
    });
    const wallMs = Date.now() - started;
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { examined: number; deleted: string[] };
    expect(result.examined).toBeGreaterThanOrEqual(10_000);
    expect(new Set(result.deleted)).toEqual(new Set(orphans.map((e) => e.networkInterfaceId)));
    for (const e of orphans) expect(lab.state.getEni(e.networkInterfaceId)).toBeUndefined();
    const calls = callsFrom(lab, sweeper, since);
    const describePages = calls.filter((c) => c.action === 'DescribeNetworkInterfaces').length;
    expect(describePages).toBeGreaterThanOrEqual(10);
    console.log(
      `sweep over ${result.examined} ENIs: ${wallMs} ms wall, ${calls.length} EC2 calls (${describePages} describe pages, ${calls.filter((c) => c.action === 'DeleteNetworkInterface').length} deletes)`,
    );
  });
});
