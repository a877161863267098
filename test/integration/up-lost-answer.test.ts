// A lost AttachNetworkInterface answer: the SDK's retry meets InUse, and up still converges on the one LNI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.ts';
import { callsFrom, staticConfig } from './helpers.ts';

describe('up when an answer is lost', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1, timings: { consistencyDelayMs: 0 } });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('converges with exactly one LNI when the attach answer arrives after the client gave up', async () => {
    const node = lab.node(1);
    // The attach happens at once; its answer is held past the agent's 10 s request timeout.
    lab.ec2.faults.add({ action: 'AttachNetworkInterface', kind: 'latency', latencyMs: 11_000, times: 1 });
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.97'), timeoutMs: 90_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const attaches = callsFrom(lab, node).filter((c) => c.action === 'AttachNetworkInterface');
    expect(attaches.map((c) => c.errorCode ?? 'ok')).toContain('InvalidNetworkInterface.InUse');
    expect(lab.ownedEnis(node)).toHaveLength(1);
    expect(lab.ownedEnis(node)[0]?.attachment).toMatchObject({
      deviceIndex: 1,
      status: 'attached',
      deleteOnTermination: true,
    });
  });
});
