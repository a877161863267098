// `status`: the state file beside what is live, and drift shown when the host no longer matches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.ts';
import { staticConfig } from './helpers.ts';

describe('status', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('says there is nothing before up, then shows the recorded LNI beside the live one, and drift after a change', async () => {
    const node = lab.node(1);
    const before = await lab.agent(node, ['status'], { config: staticConfig('192.0.2.71') });
    expect(before.exitCode, before.stderr).toBe(0);
    expect(before.stdout).toContain('has not run up');

    expect((await lab.agent(node, ['up'])).exitCode).toBe(0);
    const eniId = lab.ownedEnis(node)[0]?.networkInterfaceId;
    const text = await lab.agent(node, ['status']);
    expect(text.stdout).toContain(`${eniId} (created)`);
    expect(text.stdout).toMatch(/host drift\s+none/);
    const json = JSON.parse((await lab.agent(node, ['status', '--json'])).stdout);
    expect(json.live.eni).toMatchObject({
      networkInterfaceId: eniId,
      attachment: { status: 'attached', deleteOnTermination: true },
    });
    expect(json.live.interface.addresses).toEqual(['192.0.2.71/24']);

    await lab.net.exec(node.ns, 'ip', ['rule', 'del', 'priority', '2000']);
    const drifted = JSON.parse((await lab.agent(node, ['status', '--json'])).stdout);
    expect(drifted.live.drift).toEqual([
      { kind: 'rule-add', from: '192.0.2.71', table: 200, priority: 2000 },
    ]);
  });
});
