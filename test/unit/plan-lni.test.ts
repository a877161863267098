// The LNI decision: reuse what is attached, adopt our orphan, else create — never a second LNI.
import { describe, expect, it } from 'vitest';
import { probesForSteps } from '../../agent/model/ec2-actions.ts';
import { LniConflict, planLni } from '../../agent/model/plan-lni.ts';
import { clientTokenFor, emptyState } from '../../agent/model/state.ts';
import { TAG_NO_MANAGE, TAG_OWNER } from '../../agent/model/tags.ts';
import type { EniFacts, InstanceFacts, SubnetFacts } from '../../agent/model/types.ts';

const instance: InstanceFacts = {
  instanceId: 'i-0abc',
  region: 'us-west-2',
  availabilityZone: 'us-west-2a',
  instanceType: 'c6id.2xlarge',
  outpostArn: 'arn:aws:outposts:us-west-2:123456789012:outpost/op-1',
  primaryMac: '02:00:00:00:00:01',
  primaryIp: '10.20.1.11',
  primarySubnetId: 'subnet-1',
  interfaces: [],
};
const subnet: SubnetFacts = {
  subnetId: 'subnet-1',
  vpcId: 'vpc-1',
  cidrBlock: '10.20.1.0/24',
  availabilityZone: 'us-west-2a',
  enableLniAtDeviceIndex: 1,
};
const ourTags = {
  [TAG_OWNER]: 'i-0abc',
  [TAG_NO_MANAGE]: 'true',
  'outposts-node-agent:cluster': 'edge',
  Name: 'lni-i-0abc',
};

function eni(id: string, extra: Partial<EniFacts> = {}): EniFacts {
  return {
    networkInterfaceId: id,
    subnetId: 'subnet-1',
    macAddress: '02:aa:00:00:00:01',
    status: 'available',
    tags: {},
    ...extra,
  };
}
function attached(deviceIndex: number, dot = true) {
  return {
    attachmentId: 'eni-attach-1',
    instanceId: 'i-0abc',
    deviceIndex,
    status: 'attached',
    deleteOnTermination: dot,
  };
}
const NOW = '2026-11-25T12:00:00.000Z';
const kinds = (d: ReturnType<typeof planLni>) => d.steps.map((s) => s.kind);

describe('planLni', () => {
  it('creates, attaches and sets DeleteOnTermination when nothing exists', () => {
    const d = planLni({ now: NOW, instance, subnet, deviceIndex: 1, cluster: 'edge', enis: [] });
    expect(d.source).toBe('create');
    expect(kinds(d)).toEqual(['create-eni', 'attach-eni', 'wait-attached', 'set-delete-on-termination']);
    const create = d.steps[0];
    expect(create).toMatchObject({
      clientToken: clientTokenFor('i-0abc', 0),
      tags: { ...ourTags, 'outposts-node-agent:created-at': NOW },
    });
  });

  it('does nothing for a tagged LNI attached with DeleteOnTermination (converged)', () => {
    const d = planLni({
      now: NOW,
      instance,
      subnet,
      deviceIndex: 1,
      cluster: 'edge',
      enis: [eni('eni-1', { status: 'in-use', tags: ourTags, attachment: attached(1) })],
    });
    expect(d.source).toBe('attached');
    expect(d.steps).toEqual([]);
  });

  it('adopts a launch-template LNI: adds the missing tags and DeleteOnTermination, creates nothing', () => {
    const d = planLni({
      now: NOW,
      instance,
      subnet,
      deviceIndex: 1,
      cluster: 'edge',
      enis: [eni('eni-lt', { status: 'in-use', attachment: attached(1, false) })],
    });
    expect(kinds(d)).toEqual(['create-tags', 'set-delete-on-termination']);
    expect(d.createdByAgent).toBe(false);
    expect(d.steps[0]).toMatchObject({ tags: expect.objectContaining({ [TAG_NO_MANAGE]: 'true' }) });
  });

  it('re-attaches our own available ENI left by a crash instead of creating another, and deletes extra ones', () => {
    const d = planLni({
      now: NOW,
      instance,
      subnet,
      deviceIndex: 1,
      cluster: 'edge',
      enis: [eni('eni-orphan', { tags: ourTags }), eni('eni-orphan2', { tags: ourTags })],
    });
    expect(d.source).toBe('orphan');
    expect(d.eni?.networkInterfaceId).toBe('eni-orphan');
    expect(kinds(d)).toEqual(['attach-eni', 'wait-attached', 'set-delete-on-termination', 'delete-eni']);
  });

  it('never adopts an available ENI owned by another instance', () => {
    const d = planLni({
      now: NOW,
      instance,
      subnet,
      deviceIndex: 1,
      enis: [eni('eni-x', { tags: { [TAG_OWNER]: 'i-other' } })],
    });
    expect(d.source).toBe('create');
  });

  it('reuses the pending ClientToken after a crash during create, and a fresh one after a release', () => {
    const state = {
      ...emptyState('i-0abc', 'now'),
      pendingCreate: { clientToken: 'ona-i-0abc-g0', at: 'now' },
    };
    expect(planLni({ now: NOW, instance, subnet, deviceIndex: 1, enis: [], state }).steps[0]).toMatchObject({
      clientToken: 'ona-i-0abc-g0',
    });
    const released = { ...emptyState('i-0abc', 'now'), tokenGeneration: 3 };
    expect(
      planLni({ now: NOW, instance, subnet, deviceIndex: 1, enis: [], state: released }).steps[0],
    ).toMatchObject({
      clientToken: 'ona-i-0abc-g3',
    });
  });

  it('waits for an attachment still attaching', () => {
    const d = planLni({
      now: NOW,
      instance,
      subnet,
      deviceIndex: 1,
      cluster: 'edge',
      enis: [eni('eni-1', { tags: ourTags, attachment: { ...attached(1), status: 'attaching' } })],
    });
    expect(kinds(d)).toEqual(['wait-attached']);
  });

  it('refuses when the LNI index holds an ENI from another subnet', () => {
    expect(() =>
      planLni({
        now: NOW,
        instance,
        subnet,
        deviceIndex: 1,
        enis: [eni('eni-vpc', { subnetId: 'subnet-9', attachment: attached(1) })],
      }),
    ).toThrow(LniConflict);
  });
});

describe('probesForSteps (up preflight): the planned calls as DryRun probes', () => {
  const plan = (enis: EniFacts[]) =>
    planLni({ now: NOW, instance, subnet, deviceIndex: 1, cluster: 'edge', enis });

  it('a fresh node probes the create with its own subnet, description and tags; the calls on the new ENI wait', () => {
    const d = plan([]);
    const create = d.steps[0];
    if (create?.kind !== 'create-eni') throw new Error('expected a create first');
    expect(probesForSteps(d.steps, 'i-0abc')).toEqual({
      probes: [
        {
          action: 'CreateNetworkInterface',
          subnetId: 'subnet-1',
          description: create.description,
          tags: create.tags,
        },
      ],
      unprobed: ['AttachNetworkInterface', 'ModifyNetworkInterfaceAttribute'],
    });
  });

  it('an orphan is probed for its attach and the extra one for its delete', () => {
    const d = plan([eni('eni-orphan', { tags: ourTags }), eni('eni-orphan2', { tags: ourTags })]);
    expect(probesForSteps(d.steps, 'i-0abc')).toEqual({
      probes: [
        { action: 'AttachNetworkInterface', eniId: 'eni-orphan', instanceId: 'i-0abc', deviceIndex: 1 },
        { action: 'DeleteNetworkInterface', eniId: 'eni-orphan2' },
      ],
      unprobed: ['ModifyNetworkInterfaceAttribute'],
    });
  });

  it('a launch-template LNI is probed for its tags only: DeleteOnTermination is set after the owner tag, which the node policy requires for it; a converged one for nothing', () => {
    const adopted = plan([eni('eni-lt', { status: 'in-use', attachment: attached(1, false) })]);
    const probed = probesForSteps(adopted.steps, 'i-0abc');
    expect(probed.probes.map((p) => [p.action, 'eniId' in p && p.eniId])).toEqual([['CreateTags', 'eni-lt']]);
    expect(probed.unprobed).toEqual(['ModifyNetworkInterfaceAttribute']);
    const converged = plan([eni('eni-ok', { status: 'in-use', tags: ourTags, attachment: attached(1) })]);
    expect(probesForSteps(converged.steps, 'i-0abc')).toEqual({ probes: [], unprobed: [] });
  });
});
