// The IAM policy names every EC2 action the agent calls: the lab's call log of up, diagnose, preflight, release, sweep.
import { readFile } from 'node:fs/promises';
import { CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2_ACTIONS } from '../../agent/model/ec2-actions.ts';
import { TAG_CREATED_AT, TAG_OWNER } from '../../agent/model/tags.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { callsFrom, lastSeq, staticConfig } from './helpers.ts';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
}
const policy = JSON.parse(
  await readFile(new URL('../../packaging/iam/node-policy.json', import.meta.url), 'utf8'),
) as { Statement: Statement[] };
/** The EC2 actions the policy allows (its Auto Scaling actions are checked against the lifecycle-hook test's log). */
const allowed = new Set(
  policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
    [s.Action]
      .flat()
      .filter((a) => a.startsWith('ec2:'))
      .map((a) => a.replace(/^ec2:/, '')),
  ),
);

describe('the node IAM policy covers the agent', () => {
  let lab: Lab;
  let node: LabNode;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1, dhcp: false });
    node = lab.node(1);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('allows every EC2 action that up, diagnose, preflight, release and sweep call, and no other', async () => {
    const since = lastSeq(lab);
    const config = staticConfig('192.0.2.61', { sweep: { gracePeriodSeconds: 0 } });
    const run = async (args: string[]) => {
      const r = await lab.agent(node, args, { config });
      expect([0, 8], `${args.join(' ')}: ${r.stderr}`).toContain(r.exitCode);
    };
    await run(['up']);
    await run(['diagnose', '--json']);
    await run(['preflight', '--json']);
    await run(['release']);
    // An orphan of a gone instance, so sweep looks up its owner and deletes it.
    const subnetId = lab.state.getInstance(node.instanceId)?.subnetId;
    await lab.sdk().send(
      new CreateNetworkInterfaceCommand({
        SubnetId: subnetId,
        TagSpecifications: [
          {
            ResourceType: 'network-interface',
            Tags: [
              { Key: TAG_OWNER, Value: 'i-0fffffffffff00001' },
              { Key: TAG_CREATED_AT, Value: '2020-01-01T00:00:00.000Z' },
            ],
          },
        ],
      }),
    );
    await new Promise((r) => setTimeout(r, lab.state.timings.consistencyDelayMs + 50));
    await run(['sweep']);

    const called = new Set(callsFrom(lab, node, since).map((c) => c.action));
    for (const action of [
      'CreateNetworkInterface',
      'AttachNetworkInterface',
      'DetachNetworkInterface',
      'DeleteNetworkInterface',
      'DescribeInstances',
      'DescribeInstanceTypes',
      'DescribeImages',
    ])
      expect(called, action).toContain(action);
    const unlisted = [...called].filter((a) => !allowed.has(a));
    expect(unlisted, 'EC2 actions the agent called that the IAM policy does not allow').toEqual([]);
    const unknown = [...called].filter((a) => !EC2_ACTIONS.some((u) => u.action === a));
    expect(unknown, 'EC2 actions missing from agent/model/ec2-actions.ts (the permission checks)').toEqual(
      [],
    );
    expect([...allowed].sort()).toEqual(EC2_ACTIONS.map((u) => u.action).sort());
  });
});
