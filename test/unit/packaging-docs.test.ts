// The SSM document has the structure SSM requires of schemaVersion 2.2; the IAM policy is well-formed and tag-scoped.
import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { AUTOSCALING_ACTIONS, EC2_ACTIONS } from '../../agent/model/ec2-actions.ts';
import { TAG_CLUSTER, TAG_CREATED_AT, TAG_NO_MANAGE, TAG_OWNER } from '../../agent/model/tags.ts';

const load = async (path: string) =>
  JSON.parse(await readFile(new URL(`../../${path}`, import.meta.url), 'utf8'));

/**
 * A Command document, schemaVersion 2.2, transcribed from AWS Systems Manager's "Data elements and parameters"
 * (top-level schemaVersion, description, parameters, mainSteps; parameter type/description/default/
 * allowedValues/allowedPattern/...; step action/name/inputs/precondition) and the aws:runShellScript plugin
 * reference (inputs runCommand, timeoutSeconds, workingDirectory).
 */
const ssmCommand22 = {
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'mainSteps'],
  properties: {
    schemaVersion: { const: '2.2' },
    description: { type: 'string' },
    parameters: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: ['String', 'StringList', 'Boolean', 'Integer', 'MapList', 'StringMap'] },
          description: { type: 'string' },
          default: {},
          allowedValues: { type: 'array', items: { type: 'string' }, minItems: 1 },
          allowedPattern: { type: 'string' },
          displayType: { enum: ['textarea', 'textfield'] },
          minItems: { type: 'integer' },
          maxItems: { type: 'integer' },
          minChars: { type: 'integer' },
          maxChars: { type: 'integer' },
          interpolationType: { const: 'ENV_VAR' },
          allowedVariables: { type: 'string' },
        },
      },
    },
    mainSteps: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['action', 'name', 'inputs'],
        properties: {
          action: { type: 'string', pattern: '^aws:[A-Za-z]+$' },
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          precondition: {
            type: 'object',
            additionalProperties: false,
            required: ['StringEquals'],
            properties: {
              StringEquals: {
                type: 'array',
                prefixItems: [{ const: 'platformType' }, { enum: ['Linux', 'Windows', 'MacOS'] }],
                minItems: 2,
                maxItems: 2,
              },
            },
          },
          inputs: { type: 'object' },
        },
        if: { properties: { action: { const: 'aws:runShellScript' } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
        then: {
          properties: {
            inputs: {
              type: 'object',
              additionalProperties: false,
              required: ['runCommand'],
              properties: {
                runCommand: { type: 'array', items: { type: 'string' }, minItems: 1 },
                timeoutSeconds: { type: ['string', 'integer'], pattern: '^[0-9]+$' },
                workingDirectory: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};

describe('packaging/ssm/outposts-node-agent-diagnose.json', () => {
  it('is a schemaVersion 2.2 Command document with aws:runShellScript and a format parameter', async () => {
    const doc = await load('packaging/ssm/outposts-node-agent-diagnose.json');
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(ssmCommand22);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.mainSteps.map((s: { action: string }) => s.action)).toEqual(['aws:runShellScript']);
    expect(doc.parameters.format).toMatchObject({
      type: 'String',
      default: 'text',
      allowedValues: ['text', 'json'],
    });
    const script = doc.mainSteps[0].inputs.runCommand.join('\n');
    expect(script).toContain('{{ format }}');
    expect(script).toContain('/usr/bin/outposts-node-agent /usr/local/bin/outposts-node-agent');
    expect(script).toContain('exec "$agent" diagnose $json');
    // Every {{ parameter }} the script uses is declared.
    for (const [, name] of script.matchAll(/\{\{\s*(\w+)\s*\}\}/g))
      expect(doc.parameters).toHaveProperty(name);
  });
});

describe('packaging/iam/node-policy.json', () => {
  interface Statement {
    Sid: string;
    Effect: 'Allow' | 'Deny';
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }
  const actionsOf = (s: Statement) => [s.Action].flat();
  /** The IAM policy variable for the calling instance (a literal here, not a template). */
  const SELF = ['$', '{ec2:SourceInstanceARN}'].join('');

  it('is a valid policy naming exactly the EC2 and Auto Scaling actions the agent calls', async () => {
    const policy = (await load('packaging/iam/node-policy.json')) as {
      Version: string;
      Statement: Statement[];
    };
    expect(policy.Version).toBe('2012-10-17');
    const sids = policy.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const s of policy.Statement) {
      expect(['Allow', 'Deny']).toContain(s.Effect);
      for (const a of actionsOf(s)) expect(a).toMatch(/^(ec2|autoscaling):[A-Z][A-Za-z]+$/);
      for (const r of [s.Resource].flat())
        expect(r).toMatch(
          /^(\*|arn:aws:ec2:\*:\*:[a-z-]+\/\*|\$\{ec2:SourceInstanceARN\}|arn:aws:autoscaling:\*:\*:autoScalingGroup:\*:autoScalingGroupName\/\*)$/,
        );
    }
    const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap(actionsOf));
    expect([...allowed].sort()).toEqual(
      [
        ...EC2_ACTIONS.map((u) => `ec2:${u.action}`),
        ...AUTOSCALING_ACTIONS.map((a) => `autoscaling:${a}`),
      ].sort(),
    );
  });

  it('scopes every mutating action by resource: tags, create-time tags, or this instance', async () => {
    const policy = (await load('packaging/iam/node-policy.json')) as { Statement: Statement[] };
    const agentKeys = [TAG_OWNER, TAG_CLUSTER, TAG_CREATED_AT, TAG_NO_MANAGE, 'Name'];
    for (const s of policy.Statement.filter((x) => x.Effect === 'Allow'))
      if (actionsOf(s).some((a) => !/^(ec2|autoscaling):Describe/.test(a)))
        expect(s.Resource, s.Sid).not.toBe('*');
    const byResource = (action: string, resource: string) =>
      policy.Statement.filter(
        (s) =>
          s.Effect === 'Allow' && actionsOf(s).includes(action) && [s.Resource].flat().includes(resource),
      );
    const eni = 'arn:aws:ec2:*:*:network-interface/*';
    for (const action of ['Attach', 'Detach', 'Delete'].map((v) => `ec2:${v}NetworkInterface`))
      for (const s of byResource(action, eni))
        expect(s.Condition?.Null?.[`aws:ResourceTag/${TAG_OWNER}`], `${action} on untagged ENIs`).toBe(
          'false',
        );
    for (const s of byResource('ec2:CreateNetworkInterface', eni)) {
      expect(s.Condition?.StringLike?.[`aws:RequestTag/${TAG_OWNER}`]).toBe('i-*');
      expect(s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys']).toEqual(agentKeys);
    }
    for (const s of byResource('ec2:CreateTags', eni))
      expect(
        s.Condition?.StringEquals?.['ec2:CreateAction'] ??
          s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'],
      ).toBeDefined();
    expect(byResource('ec2:AttachNetworkInterface', SELF)).toHaveLength(1);
    expect(
      policy.Statement.find((s) => s.Effect === 'Deny' && actionsOf(s).includes('ec2:CreateTags')),
    ).toBeDefined();
  });
});
