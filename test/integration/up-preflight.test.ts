// up's preflight: every planned EC2 call is first sent with DryRun=true; a denied one refuses the run (exit 11)
// before anything changes, where without preflight the run fails half-way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodePolicy } from '../lab/iam/node-role.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { callsFrom, hostSnapshot, lastSeq, mutating, staticConfig } from './helpers.ts';

describe('up preflight: DryRun of the planned EC2 calls', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2, timings: { consistencyDelayMs: 0 } });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const dryRuns = (node: LabNode, since: number) =>
    callsFrom(lab, node, since)
      .filter((c) => c.dryRun)
      .map((c) => [c.action, c.errorCode]);

  it('refuses a fresh node whose role may not create ENIs with exit 11, nothing created and the host unchanged; without preflight the create itself fails (exit 4)', async () => {
    const node = lab.node(1);
    const config = staticConfig('192.0.2.61');
    const host = await hostSnapshot(lab, node);
    lab.state.deny('CreateNetworkInterface');
    try {
      for (const args of [['up'], ['up', '--dry-run']]) {
        const since = lastSeq(lab);
        const r = await lab.agent(node, args, { config });
        expect(r.exitCode, r.stderr).toBe(11);
        expect(r.stderr).toContain('ec2:CreateNetworkInterface');
        expect(r.stderr).toContain('nothing was changed');
        expect(r.stderr).toContain('preflight.enabled=false');
        expect(dryRuns(node, since)).toEqual([['CreateNetworkInterface', 'UnauthorizedOperation']]);
        expect(mutating(callsFrom(lab, node, since))).toEqual([]);
        expect(lab.ownedEnis(node)).toEqual([]);
        expect(await hostSnapshot(lab, node)).toBe(host);
      }

      // The control: with preflight off, the same run gets as far as the real call, which EC2 refuses.
      const since = lastSeq(lab);
      const off = await lab.agent(node, ['up', '--set', 'preflight.enabled=false'], { config });
      expect(off.exitCode, off.stderr).toBe(4);
      expect(dryRuns(node, since)).toEqual([]);
      expect(
        callsFrom(lab, node, since)
          .filter((c) => c.action === 'CreateNetworkInterface')
          .map((c) => [c.dryRun, c.errorCode]),
      ).toEqual([[false, 'UnauthorizedOperation']]);
    } finally {
      lab.state.allow('CreateNetworkInterface');
    }

    // Allowed: the probe passes, the real create follows it, and a converged re-run probes nothing.
    const since = lastSeq(lab);
    const ok = await lab.agent(node, ['up'], { config });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const calls = callsFrom(lab, node, since);
    const probe = calls.find((c) => c.dryRun);
    const create = calls.find((c) => c.action === 'CreateNetworkInterface' && !c.dryRun);
    expect(probe).toMatchObject({ action: 'CreateNetworkInterface', errorCode: 'DryRunOperation' });
    expect(create?.status).toBe(200);
    expect(probe?.seq).toBeLessThan(create?.seq ?? 0);
    // The probe carried the real call's parameters (subnet, description, tags) apart from DryRun and the token
    // (the SDK fills in a token of its own for the probe).
    const { DryRun: _d, ClientToken: _p, ...probed } = probe?.params ?? {};
    const { ClientToken: _t, ...real } = create?.params ?? {};
    expect(probed).toEqual(real);
    expect(ok.logs.find((l) => l.msg === 'preflight: the planned EC2 calls are allowed')).toMatchObject({
      probes: ['CreateNetworkInterface'],
      unprobed: ['AttachNetworkInterface', 'ModifyNetworkInterfaceAttribute'],
    });
    const again = lastSeq(lab);
    expect((await lab.agent(node, ['up'])).exitCode).toBe(0);
    expect(dryRuns(node, again)).toEqual([]);
  });

  it('an ENI left available by a denied attach is probed on the next run: exit 11 with the ENI untouched, then adopted once allowed (one ENI throughout)', async () => {
    const node = lab.node(2);
    const config = staticConfig('192.0.2.62');
    let leftId: string | undefined;
    lab.state.deny('AttachNetworkInterface');
    try {
      // A fresh node cannot probe an attach of an ENI that does not exist yet: the create happens, the attach fails.
      const first = await lab.agent(node, ['up'], { config });
      expect(first.exitCode, first.stderr).toBe(4);
      expect(first.stderr).toContain('AttachNetworkInterface');
      const [left] = lab.ownedEnis(node);
      expect(lab.ownedEnis(node)).toHaveLength(1);
      expect(left?.status).toBe('available');
      leftId = left?.networkInterfaceId;

      // Now the attach is planned on a known ENI: probed, refused, nothing changed.
      const since = lastSeq(lab);
      const second = await lab.agent(node, ['up'], { config });
      expect(second.exitCode, second.stderr).toBe(11);
      expect(second.stderr).toContain('ec2:AttachNetworkInterface');
      expect(dryRuns(node, since)).toEqual([['AttachNetworkInterface', 'UnauthorizedOperation']]);
      const probe = callsFrom(lab, node, since).find((c) => c.dryRun);
      expect(probe?.params).toMatchObject({
        NetworkInterfaceId: left?.networkInterfaceId,
        InstanceId: node.instanceId,
        DeviceIndex: '1',
      });
      expect(mutating(callsFrom(lab, node, since))).toEqual([]);
      expect(lab.ownedEnis(node).map((e) => [e.networkInterfaceId, e.status])).toEqual([
        [left?.networkInterfaceId, 'available'],
      ]);
    } finally {
      lab.state.allow('AttachNetworkInterface');
    }
    const third = await lab.agent(node, ['up'], { config });
    expect(third.exitCode, third.stderr).toBe(0);
    expect(lab.ownedEnis(node).map((e) => [e.networkInterfaceId, e.attachment?.status])).toEqual([
      [leftId, 'attached'],
    ]);
  });

  it('a node policy that lost its TagOnCreate statement: the lab evaluates the policy itself, so up refuses with exit 11 naming ec2:CreateTags and the resource, before any change', async () => {
    const node = lab.node(2);
    await lab.agent(node, ['release']);
    const shipped = lab.state.iam.policy;
    const broken = loadNodePolicy();
    broken.Statement = broken.Statement.filter(
      (s) => s.Sid !== 'TagOnCreate' && s.Sid !== 'TagOnlyAgentKeys',
    );
    lab.state.iam.setPolicy(broken);
    try {
      const since = lastSeq(lab);
      const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.63') });
      expect(r.exitCode, r.stderr).toBe(11);
      expect(r.stderr).toMatch(
        /ec2:CreateNetworkInterface: .*not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:[^ ]+:network-interface\/\*/,
      );
      expect(r.stderr).toContain(`assumed-role/outposts-node-role/${node.instanceId}`);
      expect(mutating(callsFrom(lab, node, since))).toEqual([]);
      expect(lab.ownedEnis(node)).toEqual([]);
    } finally {
      lab.state.iam.setPolicy(shipped);
    }
    const ok = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.63') });
    expect(ok.exitCode, ok.stderr).toBe(0);
  });
});
