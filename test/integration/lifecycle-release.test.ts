// `release` and the reboot/terminate policy: nothing of the agent's left behind, or the LNI kept for the next boot.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { CLUSTER, callsFrom, hostSnapshot, lastSeq, mutating, staticConfig } from './helpers.ts';

/** What a reboot does to the host: every process and every runtime address, rule and route is gone. */
async function simulateReboot(lab: Lab, node: LabNode): Promise<void> {
  const pids = (await execa('ip', ['netns', 'pids', node.ns])).stdout.split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const mac = lab.ownedEnis(node)[0]?.macAddress ?? '';
  const ifname = (await lab.net.linkByMac(node.ns, mac))?.ifname ?? '';
  await lab.net.exec(node.ns, 'ip', ['addr', 'flush', 'dev', ifname]);
  await lab.net.exec(node.ns, 'ip', ['link', 'set', ifname, 'down']);
  await lab.net.exec(node.ns, 'ip', ['rule', 'del', 'priority', '2000']);
}

describe('release', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 4 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('after up, leaves no rule, route, address, file or ENI of the agent behind; a second release is a no-op', async () => {
    const node = lab.node(1);
    const pristine = await hostSnapshot(lab, node);
    const up = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.31', { routes: { onPrem: ['198.51.100.0/24'] } }),
    });
    expect(up.exitCode, up.stderr).toBe(0);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';

    const r = await lab.agent(node, ['release']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`delete ${eniId}`);
    expect(lab.state.getEni(eniId)).toBeUndefined();
    expect(lab.ownedEnis(node)).toEqual([]);
    await lab.state.settled();
    expect(await hostSnapshot(lab, node)).toBe(pristine);

    const since = lastSeq(lab);
    const again = await lab.agent(node, ['release']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('nothing to release');
    expect(mutating(callsFrom(lab, node, since))).toEqual([]);

    // And the next up starts over with a fresh ClientToken (the old one's ENI is deleted).
    const up2 = await lab.agent(node, ['up']);
    expect(up2.exitCode, up2.stderr).toBe(0);
    expect(lab.ownedEnis(node)).toHaveLength(1);
    expect(lab.ownedEnis(node)[0]?.networkInterfaceId).not.toBe(eniId);
  });

  it('on a plain reboot (stop, no termination) keeps the LNI attached, and the next up reuses it with the same DHCP address', async () => {
    const node = lab.node(2);
    const up = await lab.agent(node, ['up'], {
      config: { cluster: { name: CLUSTER }, addressing: { mode: 'dhcp' } },
    });
    expect(up.exitCode, up.stderr).toBe(0);
    const eni = lab.ownedEnis(node)[0];
    const address = /with (\S+)/.exec(up.stdout)?.[1];

    const r = await lab.agent(node, ['release', '--reason', 'stop']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept the LNI');
    expect(lab.state.getEni(eni?.networkInterfaceId ?? '')?.attachment?.status).toBe('attached');

    await simulateReboot(lab, node);
    const since = lastSeq(lab);
    const after = await lab.agent(node, ['up']);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(mutating(callsFrom(lab, node, since))).toEqual([]);
    expect(lab.ownedEnis(node).map((e) => e.networkInterfaceId)).toEqual([eni?.networkInterfaceId]);
    expect(after.stdout).toContain(`with ${address}`);
  });

  it('when the ASG lifecycle state is Terminated, the stop path deletes the LNI', async () => {
    const node = lab.node(3);
    const up = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.33') });
    expect(up.exitCode, up.stderr).toBe(0);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    lab.state.setTargetLifecycleState(node.instanceId, 'Terminated');
    const r = await lab.agent(node, ['release', '--reason', 'stop']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lab.state.getEni(eniId)).toBeUndefined();
  });

  it('terminating the instance deletes an LNI with DeleteOnTermination (EC2 does it, no agent involved)', async () => {
    const node = lab.node(4);
    const up = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.34') });
    expect(up.exitCode, up.stderr).toBe(0);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId ?? '';
    lab.state.terminateInstance(node.instanceId);
    await lab.state.settled();
    expect(lab.state.getInstance(node.instanceId)?.state).toBe('terminated');
    expect(lab.state.getEni(eniId)).toBeUndefined();
  });
});
