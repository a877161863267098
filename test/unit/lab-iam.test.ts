// The lab's IAM evaluator: the rules it follows, and the shipped node policy read through it, statement by statement.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_PATH, loadFixture } from '../lab/ec2/fixture.ts';
import { Ec2State } from '../lab/ec2/state.ts';
import { ec2AuthzRequests } from '../lab/iam/ec2-authz.ts';
import { type AuthzRequest, evaluate, type Policy } from '../lab/iam/evaluate.ts';
import { loadNodePolicy, NodeRole } from '../lab/iam/node-role.ts';

const policy = (...Statement: Policy['Statement']): Policy => ({ Version: '2012-10-17', Statement });
const eni = (id: string, tags: Record<string, string> = {}) => ({
  arn: `arn:aws:ec2:us-west-2:111122223333:network-interface/${id}`,
  context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
});

describe('evaluate', () => {
  const owned = policy({
    Effect: 'Allow',
    Action: 'ec2:DeleteNetworkInterface',
    Resource: 'arn:aws:ec2:*:*:network-interface/*',
    Condition: { Null: { 'aws:ResourceTag/owner': 'false' } },
  });

  it('allows only what a statement allows: the Null condition needs the tag', () => {
    const del = (r: ReturnType<typeof eni>): AuthzRequest => ({
      action: 'ec2:DeleteNetworkInterface',
      resources: [r],
    });
    expect(evaluate(owned, del(eni('eni-1', { owner: 'i-1' })))).toEqual({ allowed: true });
    expect(evaluate(owned, del(eni('eni-2')))).toMatchObject({ allowed: false, explicitDeny: false });
    expect(
      evaluate(owned, { action: 'ec2:DetachNetworkInterface', resources: [eni('eni-1', { owner: 'i-1' })] }),
    ).toMatchObject({ allowed: false });
  });

  it('an explicit deny wins over any allow, and every resource of a request must be allowed', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
      { Sid: 'NoI2', Effect: 'Deny', Action: 'ec2:AttachNetworkInterface', Resource: '*:instance/i-2' },
    );
    const attach = (instance: string): AuthzRequest => ({
      action: 'ec2:AttachNetworkInterface',
      resources: [eni('eni-1'), { arn: `arn:aws:ec2:us-west-2:111122223333:instance/${instance}` }],
    });
    expect(evaluate(p, attach('i-1'))).toEqual({ allowed: true });
    expect(evaluate(p, attach('i-2'))).toMatchObject({
      allowed: false,
      explicitDeny: true,
      statement: 'NoI2',
    });
  });

  it('resolves policy variables ($-brace key) in Resource from the request, and matches nothing when the key is absent', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'ec2:DetachNetworkInterface',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
      Resource: '${ec2:SourceInstanceARN}',
    });
    const arn = 'arn:aws:ec2:us-west-2:111122223333:instance/i-1';
    const req = (context: Record<string, string>): AuthzRequest => ({
      action: 'ec2:DetachNetworkInterface',
      resources: [{ arn }],
      context,
    });
    expect(evaluate(p, req({ 'ec2:SourceInstanceARN': arn }))).toEqual({ allowed: true });
    expect(evaluate(p, req({ 'ec2:SourceInstanceARN': arn.replace('i-1', 'i-9') })).allowed).toBe(false);
    expect(evaluate(p, req({})).allowed).toBe(false);
  });

  it('ForAllValues holds for an absent key, ForAnyValue does not; StringLike globs', () => {
    const p = (op: string) =>
      policy({
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: '*',
        Condition: { [op]: { 'aws:TagKeys': ['a', 'b'] } },
      });
    const tags = (keys?: string[]): AuthzRequest => ({
      action: 'ec2:CreateTags',
      resources: [{ arn: '*' }],
      context: keys ? { 'aws:TagKeys': keys } : {},
    });
    expect(evaluate(p('ForAllValues:StringEquals'), tags()).allowed).toBe(true);
    expect(evaluate(p('ForAllValues:StringEquals'), tags(['a', 'c'])).allowed).toBe(false);
    expect(evaluate(p('ForAnyValue:StringEquals'), tags()).allowed).toBe(false);
    expect(evaluate(p('ForAnyValue:StringEquals'), tags(['c', 'b'])).allowed).toBe(true);
    const like = policy({
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { StringLike: { 'aws:RequestTag/owner': 'i-*' } },
    });
    expect(evaluate(like, { ...tags(), context: { 'aws:RequestTag/owner': 'i-0abc' } }).allowed).toBe(true);
    expect(evaluate(like, { ...tags(), context: { 'aws:RequestTag/owner': 'x-0abc' } }).allowed).toBe(false);
  });

  it('refuses an operator it does not implement instead of guessing', () => {
    const p = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': 'x' } },
    });
    expect(() => evaluate(p, { action: 'ec2:DescribeSubnets', resources: [{ arn: '*' }] })).toThrow(
      /DateGreaterThan/,
    );
  });
});

describe('the shipped node policy, through the lab', async () => {
  const state = new Ec2State({ fixture: await loadFixture(DEFAULT_FIXTURE_PATH) });
  const [instance] = state.instances();
  const role = new NodeRole(loadNodePolicy());
  const caller = {
    instanceArn: `arn:aws:ec2:${state.region}:${state.accountId}:instance/${instance?.instanceId}`,
    region: state.region,
  };
  const decide = (action: string, params: Record<string, string>) =>
    role.decide(ec2AuthzRequests(state, action, params), caller);
  const agentTags = {
    'TagSpecification.1.ResourceType': 'network-interface',
    'TagSpecification.1.Tag.1.Key': 'outposts-node-agent:owner-instance',
    'TagSpecification.1.Tag.1.Value': instance?.instanceId ?? '',
    'TagSpecification.1.Tag.2.Key': 'node.k8s.amazonaws.com/no_manage',
    'TagSpecification.1.Tag.2.Value': 'true',
  };
  const subnetId = state.instances()[0]?.subnetId ?? '';

  it('allows the agent’s create with its tags (CreateNetworkInterface and the tag-on-create CreateTags)', () => {
    expect(decide('CreateNetworkInterface', { SubnetId: subnetId, ...agentTags })).toEqual({ allowed: true });
  });

  it('denies a create without the no_manage tag, or with a foreign tag key', () => {
    const noNoManage = {
      ...agentTags,
      'TagSpecification.1.Tag.2.Key': 'team',
      'TagSpecification.1.Tag.2.Value': 'x',
    };
    expect(decide('CreateNetworkInterface', { SubnetId: subnetId, ...noNoManage })).toMatchObject({
      allowed: false,
      action: 'ec2:CreateNetworkInterface',
    });
  });

  it('without its TagOnCreate statement the same create is denied on ec2:CreateTags (a policy mistake the lab catches)', () => {
    const broken = loadNodePolicy();
    broken.Statement = broken.Statement.filter(
      (s) => s.Sid !== 'TagOnCreate' && s.Sid !== 'TagOnlyAgentKeys',
    );
    const r = new NodeRole(broken).decide(
      ec2AuthzRequests(state, 'CreateNetworkInterface', { SubnetId: subnetId, ...agentTags }),
      caller,
    );
    expect(r).toMatchObject({ allowed: false, action: 'ec2:CreateTags', explicitDeny: false });
  });

  it('denies detaching from another instance: the instance resource must be the caller’s own', () => {
    const other = {
      ...caller,
      instanceArn: caller.instanceArn.replace(/i-[0-9a-f]+$/, 'i-0fffffffffffffff0'),
    };
    const primary = state.allEnis().find((e) => e.attachment?.instanceId === instance?.instanceId);
    const reqs = ec2AuthzRequests(state, 'DetachNetworkInterface', {
      AttachmentId: primary?.attachment?.attachmentId ?? '',
    });
    expect(role.decide(reqs, other)).toMatchObject({ allowed: false });
  });
});
