// The EC2 endpoint's wire protocol seen raw: request forms, envelope errors, DryRun everywhere, call log and hangs.
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceFixture, IDS } from '../conformance/fixture.ts';
import { type LabEndpoints, rawHttp, startLabEndpoints } from '../conformance/harness.ts';
import { ACTIONS } from './actions.ts';
import { AddressPool } from './ipv4.ts';
import { filtersParam, listParam, parseQuery, tagListParam } from './query-params.ts';
import { escapeXml, renderResponse } from './xml.ts';

let lab: LabEndpoints;

beforeAll(async () => {
  lab = await startLabEndpoints({ fixture: await conformanceFixture(), timings: { consistencyDelayMs: 0 } });
});

afterAll(() => lab.close());

const xml = new XMLParser({ ignoreAttributes: false });

const post = (params: Record<string, string>) =>
  rawHttp(lab.ec2.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams(params).toString(),
  });

const errorCode = (body: string): string => xml.parse(body).Response?.Errors?.Error?.Code;

describe('request and response envelope', () => {
  it('accepts POST forms and GET query strings; answers namespaced XML with a requestId', async () => {
    const [viaPost, viaGet] = await Promise.all([
      post({ Action: 'DescribeSubnets', Version: '2016-11-15', 'SubnetId.1': IDS.lniSubnet }),
      rawHttp(`${lab.ec2.url}/?Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=${IDS.lniSubnet}`),
    ]);
    for (const response of [viaPost, viaGet]) {
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/xml;charset=UTF-8');
      const doc = xml.parse(response.body).DescribeSubnetsResponse;
      expect(doc['@_xmlns']).toBe('http://ec2.amazonaws.com/doc/2016-11-15/');
      expect(doc.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(doc.subnetSet.item).toMatchObject({ subnetId: IDS.lniSubnet, enableLniAtDeviceIndex: 1 });
    }
  });

  it.each([
    [{ Action: 'RunInstances', Version: '2016-11-15' }, 'InvalidAction'],
    [{ Version: '2016-11-15' }, 'MissingAction'],
    [{ Action: 'DescribeSubnets' }, 'MissingParameter'],
    [{ Action: 'DescribeSubnets', Version: '2014-01-01' }, 'NoSuchVersion'],
    [{ Action: 'DescribeSubnets', Version: '2016-11-15', SubnetIds: 'x' }, 'UnknownParameter'],
    [{ Action: 'DeleteNetworkInterface', Version: '2016-11-15' }, 'MissingParameter'],
    [
      { Action: 'DeleteNetworkInterface', Version: '2016-11-15', NetworkInterfaceId: 'nic-1' },
      'InvalidNetworkInterfaceId.Malformed',
    ],
  ])('%o → 400 %s in the <Response><Errors> envelope', async (params, code) => {
    const response = await post(params);
    expect(response.status).toBe(400);
    expect(errorCode(response.body)).toBe(code);
    expect(xml.parse(response.body).Response.RequestID).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('escapes XML special characters in values', () => {
    const body = renderResponse('X', 'req', { description: `<&>"'`, tagSet: [{ key: 'k', value: 'a&b' }] });
    expect(body).toContain('<description>&lt;&amp;&gt;&quot;&apos;</description>');
    expect(escapeXml('plain')).toBe('plain');
    expect(xml.parse(body).XResponse.tagSet.item.value).toBe('a&b');
  });
});

describe('DryRun on every mutating action', () => {
  it('answers 412 DryRunOperation and changes nothing', async () => {
    const eni = lab.state.createNetworkInterface({ subnetId: IDS.lniSubnet }).eni;
    const primary = lab.state.enisOfInstance(IDS.nodeA)[0];
    const attachmentId = primary?.attachment?.attachmentId ?? '';
    const params: Record<string, Record<string, string>> = {
      TerminateInstances: { 'InstanceId.1': IDS.nodeA },
      ModifySubnetAttribute: { SubnetId: IDS.lniSubnet, EnableLniAtDeviceIndex: '2' },
      CreateNetworkInterface: { SubnetId: IDS.lniSubnet },
      AttachNetworkInterface: {
        NetworkInterfaceId: eni.networkInterfaceId,
        InstanceId: IDS.nodeA,
        DeviceIndex: '1',
      },
      DetachNetworkInterface: { AttachmentId: attachmentId },
      ModifyNetworkInterfaceAttribute: {
        NetworkInterfaceId: eni.networkInterfaceId,
        'Description.Value': 'x',
      },
      DeleteNetworkInterface: { NetworkInterfaceId: eni.networkInterfaceId },
      CreateTags: { 'ResourceId.1': eni.networkInterfaceId, 'Tag.1.Key': 'k', 'Tag.1.Value': 'v' },
      DeleteTags: { 'ResourceId.1': IDS.nodeA },
    };
    const mutating = Object.keys(ACTIONS).filter((action) => !action.startsWith('Describe'));
    expect(Object.keys(params).sort()).toEqual(mutating.sort());
    const before = JSON.stringify([lab.state.allEnis(), lab.state.instances(), lab.state.subnets()]);
    const answers = await Promise.all(
      mutating.map((action) =>
        post({ Action: action, Version: '2016-11-15', DryRun: 'true', ...params[action] }),
      ),
    );
    expect(answers.map((a) => [a.status, errorCode(a.body)])).toEqual(
      mutating.map(() => [412, 'DryRunOperation']),
    );
    expect(JSON.stringify([lab.state.allEnis(), lab.state.instances(), lab.state.subnets()])).toBe(before);
  });
});

describe('call log, busy time and hangs', () => {
  it('records every call with source, status, error code and mutating/dry-run flags', async () => {
    lab.ec2.handler.clearCalls();
    await post({ Action: 'DescribeImages', Version: '2016-11-15' });
    await post({
      Action: 'CreateNetworkInterface',
      Version: '2016-11-15',
      SubnetId: IDS.lniSubnet,
      DryRun: 'true',
    });
    const calls = lab.ec2.handler.calls();
    expect(
      calls.map((c) => [c.seq > 0, c.action, c.source, c.status, c.errorCode, c.mutating, c.dryRun]),
    ).toEqual([
      [true, 'DescribeImages', '127.0.0.1', 200, undefined, false, false],
      [true, 'CreateNetworkInterface', '127.0.0.1', 412, 'DryRunOperation', true, true],
    ]);
    expect(calls[1]?.params).toEqual({ SubnetId: IDS.lniSubnet, DryRun: 'true' });
    expect(lab.ec2.handler.busyMs()).toBeGreaterThan(0);
  });

  it('a hang fault never answers; the connection ends when the client gives up', async () => {
    lab.ec2.handler.faults.add({ action: 'DescribeImages', kind: 'hang', times: 1 });
    const started = performance.now();
    const attempt = fetch(lab.ec2.url, {
      method: 'POST',
      body: new URLSearchParams({ Action: 'DescribeImages', Version: '2016-11-15' }),
      signal: AbortSignal.timeout(300),
    });
    await expect(attempt).rejects.toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const hung = await new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
      lab.ec2.handler.calls().at(-1),
    );
    expect(hung).toMatchObject({ action: 'DescribeImages', status: 0, errorCode: 'NoAnswer' });
  });
});

describe('parameter parsing and addressing', () => {
  it('reads Name.N lists and Name.N.Member structures as botocore and the SDK flatten them', () => {
    const params = parseQuery(
      'Filter.2.Name=b&Filter.1.Name=a&Filter.1.Value.2=y&Filter.1.Value.1=x&Filter.10.Name=c&Tag.1.Key=k&Tag.2.Key=e&Tag.2.Value=',
    );
    expect(filtersParam(params)).toEqual([
      { name: 'a', values: ['x', 'y'] },
      { name: 'b', values: [] },
      { name: 'c', values: [] },
    ]);
    expect(tagListParam(params, 'Tag')).toEqual([
      { key: 'k', value: undefined },
      { key: 'e', value: '' },
    ]);
    expect(listParam({ 'Id.2': 'b', 'Id.1': 'a' }, 'Id')).toEqual(['a', 'b']);
  });

  it('never hands out the four reserved addresses at the start of a subnet nor its broadcast address', () => {
    const pool = new AddressPool('10.9.9.0/29');
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual(['10.9.9.4', '10.9.9.5', '10.9.9.6']);
    expect(pool.isAssignable('10.9.9.3')).toBe(false);
    expect(pool.isAssignable('10.9.9.7')).toBe(false);
    pool.release('10.9.9.5');
    expect(pool.allocate()).toBe('10.9.9.5');
  });
});
