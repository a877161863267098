// Every Auto Scaling operation the lab serves, errors included, through @aws-sdk/client-auto-scaling and the AWS CLI v2.
import {
  AutoScalingClient,
  type AutoScalingInstanceDetails,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  paginateDescribeAutoScalingInstances,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AutoScalingServer, startAutoScalingServer } from '../autoscaling/server.ts';
import { AutoScalingState, GROUP_NAME_TAG, LAUNCHING, TERMINATING } from '../autoscaling/state.ts';
import { Ec2State } from '../ec2/state.ts';
import { conformanceFixture, IDS } from './fixture.ts';
import { type ApiError, type CliResult, rawHttp, runAwsCli, sdkError } from './harness.ts';

const GROUP = 'conf-asg';
const SHORT_GROUP = 'conf-asg-short';
const HOOK = 'conf-terminating';
const SHORT_HOOK = 'conf-terminating-short';
const SHORT_TIMEOUT_S = 1;

let ec2: Ec2State;
let asg: AutoScalingState;
let server: AutoScalingServer;
let sdk: AutoScalingClient;

beforeAll(async () => {
  ec2 = new Ec2State({ fixture: await conformanceFixture(), terminateDelayMs: 50, log: () => {} });
  asg = new AutoScalingState(ec2, {
    groups: [
      {
        name: GROUP,
        instanceIds: [IDS.nodeA, IDS.nodeB, IDS.nodeC, IDS.nodeD],
        hooks: [
          { name: HOOK, transition: TERMINATING, heartbeatTimeout: 60, defaultResult: 'CONTINUE' },
          { name: 'conf-launching', transition: LAUNCHING, heartbeatTimeout: 300 },
        ],
      },
      {
        name: SHORT_GROUP,
        instanceIds: [IDS.nodeF, IDS.nodeG],
        hooks: [{ name: SHORT_HOOK, heartbeatTimeout: SHORT_TIMEOUT_S, defaultResult: 'ABANDON' }],
      },
    ],
  });
  server = await startAutoScalingServer({ state: asg, handlerOptions: { log: () => {} } });
  sdk = new AutoScalingClient({
    endpoint: server.url,
    region: ec2.region,
    credentials: { accessKeyId: 'AKIALABFAKEKEY000001', secretAccessKey: 'lab-fake-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sdk?.destroy();
  asg?.dispose();
  ec2?.dispose();
  await server?.close();
});

const cli = (args: string[]) => runAwsCli(server.url, ec2.region, args, 1, 'autoscaling');

function cliOutput<T>(result: CliResult): T {
  expect(result.error, result.stderr).toBeUndefined();
  expect(result.exitCode, result.stderr).toBe(0);
  return result.json as T;
}

/** Runs the same failing request through both clients and returns what each parsed. */
async function bothFail(sdkCall: () => Promise<unknown>, cliArgs: string[]): Promise<[ApiError, ApiError]> {
  const [viaSdk, viaCli] = await Promise.all([sdkError(sdkCall()), cli(cliArgs)]);
  expect(viaCli.exitCode, viaCli.stderr).toBe(254);
  if (!viaCli.error) throw new Error(`the CLI printed no parsable error: ${viaCli.stderr}`);
  return [viaSdk, viaCli.error];
}

function expectError([viaSdk, viaCli]: [ApiError, ApiError], code: string, status: number, message: string) {
  expect(viaSdk).toEqual({ code, status, message });
  expect(viaCli).toEqual({ code, message });
}

const instanceView = (i: AutoScalingInstanceDetails) => ({
  id: i.InstanceId,
  type: i.InstanceType,
  group: i.AutoScalingGroupName,
  az: i.AvailabilityZone,
  state: i.LifecycleState,
  health: i.HealthStatus,
  protected: i.ProtectedFromScaleIn,
});

const expectedInstance = (id: string, group = GROUP, state = 'InService') => ({
  id,
  type: 'c6id.2xlarge',
  group,
  az: 'us-west-2a',
  state,
  health: 'HEALTHY',
  protected: false,
});

const flags = (target: { group: string; hook: string }) => [
  '--auto-scaling-group-name',
  target.group,
  '--lifecycle-hook-name',
  target.hook,
];

describe('Auto Scaling reads through both clients', () => {
  it.concurrent('DescribeAutoScalingInstances by ids: group, AZ, type, InService, HEALTHY; an unknown id is ignored', async () => {
    const ids = [IDS.nodeA, IDS.nodeB, 'i-0ffffffffffffffff'];
    const [viaSdk, viaCli] = await Promise.all([
      sdk.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ids })),
      cli(['describe-auto-scaling-instances', '--instance-ids', ...ids]),
    ]);
    const expected = [expectedInstance(IDS.nodeA), expectedInstance(IDS.nodeB)];
    expect((viaSdk.AutoScalingInstances ?? []).map(instanceView)).toEqual(expected);
    const cliList = cliOutput<{ AutoScalingInstances: AutoScalingInstanceDetails[] }>(viaCli);
    expect(cliList.AutoScalingInstances.map(instanceView)).toEqual(expected);
    expect(ec2.getInstance(IDS.nodeA)?.tags).toContainEqual({ key: GROUP_NAME_TAG, value: GROUP });
  });

  it.concurrent('DescribeAutoScalingInstances pages: the SDK paginator and the CLI (--page-size) follow NextToken to every instance', async () => {
    const pages: string[][] = [];
    const paginator = paginateDescribeAutoScalingInstances({ client: sdk, pageSize: 2 }, {});
    const viaCli = cli(['describe-auto-scaling-instances', '--page-size', '2']);
    for await (const page of paginator)
      pages.push((page.AutoScalingInstances ?? []).map((i) => i.InstanceId ?? ''));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    const all = [IDS.nodeA, IDS.nodeB, IDS.nodeC, IDS.nodeD, IDS.nodeF, IDS.nodeG];
    expect(pages.flat().sort()).toEqual([...all].sort());
    const cliIds = cliOutput<{ AutoScalingInstances: { InstanceId: string }[] }>(await viaCli)
      .AutoScalingInstances.map((i) => i.InstanceId)
      .sort();
    expect(cliIds).toEqual(pages.flat().sort());
  });

  it.concurrent('DescribeLifecycleHooks: every hook of the group, or the named ones; timeouts and default results', async () => {
    const [all, named] = await Promise.all([
      sdk.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: GROUP })),
      cli(['describe-lifecycle-hooks', '--auto-scaling-group-name', GROUP, '--lifecycle-hook-names', HOOK]),
    ]);
    const terminating = {
      LifecycleHookName: HOOK,
      AutoScalingGroupName: GROUP,
      LifecycleTransition: TERMINATING,
      HeartbeatTimeout: 60,
      GlobalTimeout: 6000,
      DefaultResult: 'CONTINUE',
    };
    expect(all.LifecycleHooks).toEqual([
      terminating,
      {
        LifecycleHookName: 'conf-launching',
        AutoScalingGroupName: GROUP,
        LifecycleTransition: LAUNCHING,
        HeartbeatTimeout: 300,
        GlobalTimeout: 30_000,
        DefaultResult: 'ABANDON',
      },
    ]);
    expect(cliOutput<{ LifecycleHooks: unknown[] }>(named).LifecycleHooks).toEqual([terminating]);
  });
});

describe('lifecycle actions through both clients', () => {
  it.concurrent('scale-in waits in Terminating:Wait with IMDS Terminated; heartbeats (by instance id and by token) push the timeout back', async () => {
    const scaleIn = asg.scaleIn(IDS.nodeB);
    const [action] = scaleIn.actions;
    if (!action) throw new Error('no lifecycle action started');
    expect(asg.member(IDS.nodeB)?.lifecycleState).toBe('Terminating:Wait');
    expect(ec2.getInstance(IDS.nodeB)?.targetLifecycleState).toBe('Terminated');
    const before = action.deadline;
    await new Promise((r) => setTimeout(r, 20));
    await sdk.send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: HOOK,
        InstanceId: IDS.nodeB,
      }),
    );
    cliOutput(
      await cli([
        'record-lifecycle-action-heartbeat',
        ...flags({ group: GROUP, hook: HOOK }),
        '--lifecycle-action-token',
        action.token,
      ]),
    );
    expect(action.heartbeats).toHaveLength(2);
    expect(action.deadline).toBeGreaterThan(before);
    const described = await sdk.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [IDS.nodeB] }));
    expect(described.AutoScalingInstances?.[0]?.LifecycleState).toBe('Terminating:Wait');
    expect(ec2.getInstance(IDS.nodeB)?.state).toBe('running');
  });

  it.concurrent('CompleteLifecycleAction CONTINUE (SDK, by instance id) and ABANDON (CLI, by token) both terminate the instance', async () => {
    const continued = asg.scaleIn(IDS.nodeC);
    const abandoned = asg.scaleIn(IDS.nodeD);
    const token = abandoned.actions[0]?.token ?? '';
    const [, viaCli] = await Promise.all([
      sdk.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: GROUP,
          LifecycleHookName: HOOK,
          InstanceId: IDS.nodeC,
          LifecycleActionResult: 'CONTINUE',
        }),
      ),
      cli([
        'complete-lifecycle-action',
        ...flags({ group: GROUP, hook: HOOK }),
        '--lifecycle-action-token',
        token,
        '--lifecycle-action-result',
        'ABANDON',
      ]),
    ]);
    cliOutput(viaCli);
    expect(await continued.done).toMatchObject({ result: 'CONTINUE', endedBy: 'complete' });
    expect(await abandoned.done).toMatchObject({ result: 'ABANDON', endedBy: 'complete' });
    await ec2.settled();
    for (const id of [IDS.nodeC, IDS.nodeD]) {
      expect(ec2.getInstance(id)?.state).toBe('terminated');
      expect(asg.member(id)?.lifecycleState).toBe('Terminated');
    }
    const listed = await sdk.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [IDS.nodeC, IDS.nodeD] }),
    );
    expect(listed.AutoScalingInstances).toEqual([]);
  });

  it.concurrent('without a heartbeat the hook times out after HeartbeatTimeout and its DefaultResult ends the wait', async () => {
    const scaleIn = asg.scaleIn(IDS.nodeF);
    const outcome = await scaleIn.done;
    const waited = outcome.endedAt - scaleIn.startedAt;
    expect(outcome).toMatchObject({ result: 'ABANDON', endedBy: 'timeout' });
    expect(waited).toBeGreaterThanOrEqual(SHORT_TIMEOUT_S * 1000 - 5);
    expect(waited).toBeLessThan(SHORT_TIMEOUT_S * 1000 + 1000);
    expect(['shutting-down', 'terminated']).toContain(ec2.getInstance(IDS.nodeF)?.state);
  });
});

describe('Auto Scaling errors through both clients', () => {
  it.concurrent('ValidationError "No active Lifecycle Action found with instance ID …" (400) for an instance in service', async () => {
    const errors = await bothFail(
      () =>
        sdk.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: GROUP,
            LifecycleHookName: HOOK,
            InstanceId: IDS.nodeA,
            LifecycleActionResult: 'CONTINUE',
          }),
        ),
      [
        'complete-lifecycle-action',
        ...flags({ group: GROUP, hook: HOOK }),
        '--instance-id',
        IDS.nodeA,
        '--lifecycle-action-result',
        'CONTINUE',
      ],
    );
    expectError(
      errors,
      'ValidationError',
      400,
      `No active Lifecycle Action found with instance ID ${IDS.nodeA}`,
    );
    expect(ec2.getInstance(IDS.nodeA)?.state).toBe('running');
  });

  it.concurrent('ValidationError "No active Lifecycle Action found with token …" (400) for a heartbeat with an unknown token', async () => {
    const token = '11111111-2222-3333-4444-555555555555';
    const errors = await bothFail(
      () =>
        sdk.send(
          new RecordLifecycleActionHeartbeatCommand({
            AutoScalingGroupName: GROUP,
            LifecycleHookName: HOOK,
            LifecycleActionToken: token,
          }),
        ),
      [
        'record-lifecycle-action-heartbeat',
        ...flags({ group: GROUP, hook: HOOK }),
        '--lifecycle-action-token',
        token,
      ],
    );
    expectError(errors, 'ValidationError', 400, `No active Lifecycle Action found with token ${token}`);
  });

  it.concurrent('ValidationError for a result other than CONTINUE/ABANDON and for neither token nor instance id', async () => {
    const [badResult, neither] = await Promise.all([
      bothFail(
        () =>
          sdk.send(
            new CompleteLifecycleActionCommand({
              AutoScalingGroupName: GROUP,
              LifecycleHookName: HOOK,
              InstanceId: IDS.nodeA,
              LifecycleActionResult: 'MAYBE',
            }),
          ),
        [
          'complete-lifecycle-action',
          ...flags({ group: GROUP, hook: HOOK }),
          '--instance-id',
          IDS.nodeA,
          '--lifecycle-action-result',
          'MAYBE',
        ],
      ),
      sdkError(
        sdk.send(
          new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: GROUP, LifecycleHookName: HOOK }),
        ),
      ),
    ]);
    expectError(
      badResult,
      'ValidationError',
      400,
      "Invalid LifecycleActionResult 'MAYBE': must be CONTINUE or ABANDON",
    );
    expect(neither).toMatchObject({ code: 'ValidationError', status: 400 });
  });

  it.concurrent('ValidationError (400) for the hooks of a group that does not exist', async () => {
    const errors = await bothFail(
      () => sdk.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'no-such-group' })),
      ['describe-lifecycle-hooks', '--auto-scaling-group-name', 'no-such-group'],
    );
    expectError(
      errors,
      'ValidationError',
      400,
      "AutoScalingGroup name not found - AutoScalingGroup 'no-such-group' not found",
    );
  });
});

describe('wire format and injected faults', () => {
  it('injected faults: throttle → Throttling (400), server-error → InternalFailure (500)', async () => {
    server.handler.faults.add({ action: 'DescribeLifecycleHooks', kind: 'throttle', times: 2 });
    const throttled = await bothFail(
      () => sdk.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: GROUP })),
      ['describe-lifecycle-hooks', '--auto-scaling-group-name', GROUP],
    );
    expectError(throttled, 'Throttling', 400, 'Rate exceeded');
    server.handler.faults.add({ action: 'DescribeAutoScalingInstances', kind: 'server-error', times: 2 });
    const failed = await bothFail(
      () => sdk.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [IDS.nodeA] })),
      ['describe-auto-scaling-instances', '--instance-ids', IDS.nodeA],
    );
    expectError(failed, 'InternalFailure', 500, 'An internal error has occurred');
  });

  const xml = new XMLParser({ ignoreAttributes: false });
  const post = (params: Record<string, string>) =>
    rawHttp(server.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(params).toString(),
    });

  it('answers <XResponse><XResult/><ResponseMetadata/> with `member` lists, and <ErrorResponse> with Type Sender', async () => {
    const [ok, bad, version] = await Promise.all([
      post({ Action: 'DescribeLifecycleHooks', Version: '2011-01-01', AutoScalingGroupName: SHORT_GROUP }),
      post({ Action: 'DescribeLifecycleHooks', Version: '2011-01-01' }),
      post({ Action: 'DescribeLifecycleHooks', Version: '2016-11-15', AutoScalingGroupName: GROUP }),
    ]);
    expect(ok.status).toBe(200);
    const doc = xml.parse(ok.body).DescribeLifecycleHooksResponse;
    expect(doc['@_xmlns']).toBe('http://autoscaling.amazonaws.com/doc/2011-01-01/');
    expect(doc.ResponseMetadata.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(doc.DescribeLifecycleHooksResult.LifecycleHooks.member).toMatchObject({
      LifecycleHookName: SHORT_HOOK,
      HeartbeatTimeout: SHORT_TIMEOUT_S,
    });
    expect(bad.status).toBe(400);
    expect(xml.parse(bad.body).ErrorResponse.Error).toEqual({
      Type: 'Sender',
      Code: 'ValidationError',
      Message:
        "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null",
    });
    expect(xml.parse(version.body).ErrorResponse.Error.Code).toBe('NoSuchVersion');
    const calls = server.handler.calls().filter((c) => c.action === 'DescribeLifecycleHooks');
    expect(calls.map((c) => c.errorCode)).toEqual(expect.arrayContaining([undefined, 'ValidationError']));
  });
});
