// Idempotency and safety of `up`: zero changes on a converged node, adoption, dry-run, the lock and SIGTERM.
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, parseLogs } from '../lab/lab.ts';
import { callsFrom, hostSnapshot, lastSeq, mutating, staticConfig } from './helpers.ts';

function untilStderr(sub: ReturnType<Lab['spawnAgent']>, text: string): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    sub.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    sub.then(() => reject(new Error(`agent ended before logging ${text}: ${seen}`)));
  });
}

describe('up is idempotent and safe', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 5, timings: { attachDelayMs: 1500 } });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('makes zero mutating EC2 calls and changes nothing on the host of a converged node', async () => {
    const node = lab.node(1);
    const first = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.21', { routes: { onPrem: ['198.51.100.0/24'] } }),
    });
    expect(first.exitCode, first.stderr).toBe(0);
    const fresh = callsFrom(lab, node);
    expect(mutating(fresh.filter((c) => c.status === 200)).map((c) => c.action)).toEqual([
      'CreateNetworkInterface',
      'AttachNetworkInterface',
      'ModifyNetworkInterfaceAttribute',
    ]);

    const before = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    const second = await lab.agent(node, ['up']);
    expect(second.exitCode, second.stderr).toBe(0);
    const calls = callsFrom(lab, node, since);
    expect(mutating(calls)).toEqual([]);
    // Two reads, sent side by side: the subnets and this instance's ENIs.
    expect(calls.map((c) => c.action).sort()).toEqual(['DescribeNetworkInterfaces', 'DescribeSubnets']);
    expect(await hostSnapshot(lab, node)).toBe(before);
    expect(
      second.logs.some((l) => l.step === 'host-apply' || l.step === 'host-prelude' || l.step === 'join'),
    ).toBe(false);
  });

  it('adopts an LNI a launch template attached at boot: tags it and sets DeleteOnTermination, creates no second one', async () => {
    const node = lab.node(2);
    const sdk = lab.sdk();
    const subnetId = lab.state.getInstance(node.instanceId)?.subnetId;
    const created = await sdk.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Description: 'from launch template' }),
    );
    const eniId = created.NetworkInterface?.NetworkInterfaceId ?? '';
    await new Promise((r) => setTimeout(r, lab.state.timings.consistencyDelayMs + 50));
    await sdk.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eniId,
        InstanceId: node.instanceId,
        DeviceIndex: 1,
      }),
    );
    await new Promise((r) => setTimeout(r, lab.state.timings.attachDelayMs + 100));

    const since = lastSeq(lab);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.22') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mutating(callsFrom(lab, node, since)).map((c) => c.action)).toEqual([
      'CreateTags',
      'ModifyNetworkInterfaceAttribute',
    ]);
    const eni = lab.state.getEni(eniId);
    expect(eni?.attachment?.deleteOnTermination).toBe(true);
    expect(eni?.tags).toEqual(
      expect.arrayContaining([{ key: 'node.k8s.amazonaws.com/no_manage', value: 'true' }]),
    );
    expect(lab.ownedEnis(node).map((e) => e.networkInterfaceId)).toEqual([eniId]);
    const state = (await lab.readState(node)) as { eni: { id: string; createdByAgent: boolean } };
    expect(state.eni).toMatchObject({ id: eniId, createdByAgent: false });
  });

  it('--dry-run prints the ordered plan and changes nothing in EC2 or on the host', async () => {
    const node = lab.node(3);
    const before = await hostSnapshot(lab, node);
    const since = lastSeq(lab);
    const r = await lab.agent(node, ['up', '--dry-run'], { config: staticConfig('192.0.2.23') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'would create-eni',
      'would attach-eni',
      'would wait-attached',
      'would set-delete-on-termination',
    ]);
    expect(mutating(callsFrom(lab, node, since))).toEqual([]);
    expect(lab.ownedEnis(node)).toEqual([]);
    expect(await hostSnapshot(lab, node)).toBe(before);
    expect(await lab.readState(node)).toBeUndefined();
  });

  it('a second up while one runs exits with the lock code 7, changing nothing', async () => {
    const node = lab.node(4);
    await lab.writeConfig(node, staticConfig('192.0.2.24'));
    const running = lab.spawnAgent(node, ['up']);
    await untilStderr(running, '"step":"discover-instance"'); // logged once the lock is held
    const second = await lab.agent(node, ['up']);
    expect(second.exitCode).toBe(7);
    expect(second.stderr).toMatch(/holds .*agent\.lock/);
    expect((await running).exitCode).toBe(0);
    expect(lab.ownedEnis(node)).toHaveLength(1);
  });

  it('SIGTERM finishes the current step, starts no new one and exits 10; the next up converges', async () => {
    const node = lab.node(5);
    await lab.writeConfig(node, staticConfig('192.0.2.25'));
    const running = lab.spawnAgent(node, ['up']);
    await untilStderr(running, '"step":"attach-eni"');
    running.kill('SIGTERM');
    const result = await running;
    expect(result.exitCode).toBe(10);
    // The step running when the signal landed finishes; no later one starts.
    const logs = parseLogs(String(result.stderr));
    const signalAt = logs.findIndex((l) => String(l.msg).startsWith('signal received'));
    expect(logs.slice(signalAt + 1).filter((l) => l.step).length).toBeLessThanOrEqual(1);
    const stoppedBefore = /stopped by signal before (\S+)/.exec(String(result.stderr))?.[1];
    expect(['wait-attached', 'set-delete-on-termination']).toContain(stoppedBefore);
    expect(logs.some((l) => l.step === stoppedBefore)).toBe(false);
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(lab.ownedEnis(node)).toHaveLength(1);
  });
});
