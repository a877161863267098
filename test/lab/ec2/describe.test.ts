// DescribeNetworkInterfaces at scale and with filters: keyset pagination returns every ENI once; filters as EC2 applies them.
import {
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Filter,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabEndpoints, sdkError, startLabEndpoints } from '../conformance/harness.ts';

const SUBNET = 'subnet-0000000000000b001';
const NODE = 'i-0000000000000b001';

let lab: LabEndpoints;
let ec2: EC2Client;

beforeAll(async () => {
  lab = await startLabEndpoints({
    fixture: {
      subnets: [{ subnetId: SUBNET, cidrBlock: '10.40.0.0/16' }],
      instances: [{ instanceId: NODE, privateIpAddress: '10.40.0.10' }],
    },
    timings: { consistencyDelayMs: 0, attachDelayMs: 0 },
  });
  ec2 = lab.sdk();
});

afterAll(() => lab.close());

/** Every ENI id the SDK paginator yields; `onPage` sees each page's ids as it arrives. */
async function allPages(
  pageSize: number,
  filters: Filter[],
  onPage?: (ids: string[]) => void,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const out of paginateDescribeNetworkInterfaces(
    { client: ec2, pageSize },
    { Filters: filters },
  )) {
    const page = (out.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? '');
    ids.push(...page);
    onPage?.(page);
  }
  return ids;
}

describe('pagination', () => {
  it('2,500 seeded ENIs page out exactly once each with MaxResults 1000, even when ENIs are deleted between pages', async () => {
    const bulk = [{ Name: 'tag:bulk', Values: ['yes'] }];
    const seeded = lab.state.seedEnis(2_500, { subnetId: SUBNET, tags: [{ key: 'bulk', value: 'yes' }] });
    const pages: number[] = [];
    const ids = await allPages(1_000, bulk, (page) => pages.push(page.length));
    expect(pages).toEqual([1_000, 1_000, 500]);
    expect(ids.sort()).toEqual(seeded.map((e) => e.networkInterfaceId).sort());

    // Deleting ENIs already returned must not make later pages skip any (an offset-based token would).
    let first = true;
    const idsWhileDeleting = await allPages(1_000, bulk, (page) => {
      if (first) for (const id of page.slice(0, 300)) lab.state.deleteNetworkInterface(id);
      first = false;
    });
    expect(idsWhileDeleting.sort()).toEqual(ids);
  });

  it('MaxResults outside 5..1000, MaxResults with ids, and a bogus NextToken are refused as EC2 does', async () => {
    const primary = lab.state.enisOfInstance(NODE)[0]?.networkInterfaceId ?? '';
    const cases = await Promise.all([
      sdkError(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 }))),
      sdkError(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 1001 }))),
      sdkError(
        ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NetworkInterfaceIds: [primary] })),
      ),
      sdkError(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: 'bogus' }))),
      sdkError(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 }))),
    ]);
    expect(cases.map((c) => c.code)).toEqual([
      'InvalidParameterValue',
      'InvalidParameterValue',
      'InvalidParameterCombination',
      'InvalidPaginationToken',
      'InvalidParameterValue',
    ]);
  });
});

describe('filters', () => {
  beforeAll(() => {
    const tagged = (tags: Record<string, string>) => ({
      subnetId: SUBNET,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    lab.state.seedEnis(1, {
      ...tagged({ 'outposts-node-agent:cluster': 'blue', Name: 'lni-node-1' }),
      description: 'f1',
    });
    lab.state.seedEnis(1, {
      ...tagged({ 'outposts-node-agent:cluster': 'green', Name: 'lni-node-2' }),
      description: 'f2',
    });
    lab.state.seedEnis(1, { ...tagged({ 'outposts-node-agent:cluster': 'blue' }), description: 'f3' });
    lab.state.seedEnis(1, { ...tagged({ Name: 'other' }), description: 'f4' });
    lab.state.seedEnis(1, {
      subnetId: SUBNET,
      description: 'f5',
      attachTo: { instanceId: NODE, deviceIndex: 1 },
    });
  });

  const describedAs = async (filters: Filter[]) =>
    ((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters }))).NetworkInterfaces ?? [])
      .map((e) => e.Description ?? '')
      .filter((d) => /^f\d$/.test(d))
      .sort();

  it.each([
    [
      'tag:KEY, values OR-ed',
      [{ Name: 'tag:outposts-node-agent:cluster', Values: ['blue', 'green'] }],
      ['f1', 'f2', 'f3'],
    ],
    [
      'filters AND-ed',
      [
        { Name: 'tag:outposts-node-agent:cluster', Values: ['blue'] },
        { Name: 'tag:Name', Values: ['lni-*'] },
      ],
      ['f1'],
    ],
    ['wildcards * and ?', [{ Name: 'tag:Name', Values: ['lni-node-?'] }], ['f1', 'f2']],
    ['tag-key', [{ Name: 'tag-key', Values: ['Name'] }], ['f1', 'f2', 'f4']],
    ['attachment.instance-id', [{ Name: 'attachment.instance-id', Values: [NODE] }], ['f5']],
    [
      'attachment.device-index and status',
      [
        { Name: 'attachment.device-index', Values: ['1'] },
        { Name: 'status', Values: ['in-use'] },
      ],
      ['f5'],
    ],
    ['description with a wildcard', [{ Name: 'description', Values: ['f[1]', 'f4*'] }], ['f4']],
  ] as const)('%s', async (_name, filters, expected) => {
    expect(await describedAs(filters.map((f) => ({ Name: f.Name, Values: [...f.Values] })))).toEqual(
      expected,
    );
  });

  it('an unknown filter name is InvalidParameterValue', async () => {
    expect(
      await sdkError(
        ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
      ),
    ).toMatchObject({ code: 'InvalidParameterValue', message: "The filter 'colour' is invalid" });
  });
});
