// `up`'s branches in milliseconds: adopt, create, crash-resume, dry-run, conflict — over port fakes that are plain
// functions and throw on any call the branch must not make. (The lab tests run the same paths for real.)
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../agent/app/deps.ts';
import { up } from '../../agent/app/up.ts';
import { validateConfig } from '../../agent/config/loader.ts';
import { ExitCode, exitCodeOf } from '../../agent/errors.ts';
import { emptyMetrics } from '../../agent/model/metrics.ts';
import { type AgentState, clientTokenFor, emptyState } from '../../agent/model/state.ts';
import { TAG_NO_MANAGE, TAG_OWNER } from '../../agent/model/tags.ts';
import type { EniFacts, HostFacts, HostStep, LinkFacts } from '../../agent/model/types.ts';
import type { Ec2 } from '../../agent/ports/ec2.ts';

const INSTANCE = 'i-0123456789abcdef0';
const SUBNET = 'subnet-0aaaaaaaaaaaaaaa1';
const PRIMARY_MAC = '0e:00:00:00:00:01';
const LNI_MAC = '0e:00:00:00:00:02';
const OUTPOST = 'arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0';

const unexpected = (what: string) => () => {
  throw new Error(`unexpected call: ${what}`);
};

/** IMDS as an instance on an outpost sees it (only the LNI at index 1 when `lniAttached`). */
function imds(lniAttached: EniFacts | undefined) {
  const base = 'meta-data/network/interfaces/macs';
  const tree: Record<string, string> = {
    'dynamic/instance-identity/document': JSON.stringify({
      instanceId: INSTANCE,
      region: 'us-west-2',
      availabilityZone: 'us-west-2a',
      instanceType: 'c6id.2xlarge',
      privateIp: '10.20.1.11',
    }),
    'meta-data/mac': PRIMARY_MAC,
    'meta-data/outpost-arn': OUTPOST,
    [`${base}/`]: [PRIMARY_MAC, ...(lniAttached ? [LNI_MAC] : [])].map((m) => `${m}/`).join('\n'),
    [`${base}/${PRIMARY_MAC}/subnet-id`]: SUBNET,
    [`${base}/${PRIMARY_MAC}/vpc-ipv4-cidr-blocks`]: '10.20.0.0/16',
    ...(lniAttached
      ? {
          [`${base}/${LNI_MAC}/device-number`]: '1',
          [`${base}/${LNI_MAC}/interface-id`]: lniAttached.networkInterfaceId,
          [`${base}/${LNI_MAC}/subnet-id`]: SUBNET,
        }
      : {}),
  };
  return {
    get: async (path: string) => tree[path],
    probe: unexpected('imds.probe'),
  };
}

const lniEni = (over: Partial<EniFacts> = {}): EniFacts => ({
  networkInterfaceId: 'eni-0lni0000000000001',
  subnetId: SUBNET,
  macAddress: LNI_MAC,
  status: 'in-use',
  tags: {},
  attachment: {
    attachmentId: 'eni-attach-01',
    instanceId: INSTANCE,
    deviceIndex: 1,
    status: 'attached',
    deleteOnTermination: false,
  },
  ...over,
});

interface World {
  /** ENIs EC2 knows (the owned-ENI query filters them by the owner tag). */
  enis: EniFacts[];
  state?: AgentState;
  /** Whether the host shows the LNI's link (after an attach it does). */
  linkUp?: boolean;
}

function fakeDeps(world: World) {
  const calls: string[] = [];
  const applied: HostStep[] = [];
  const files = new Map<string, string>([['/etc/os-release', 'ID="amzn"\nVERSION_ID="2023"\n']]);
  let now = 1_000_000;
  let saved: AgentState | undefined = world.state;
  let attached = world.enis.some((e) => e.attachment?.deviceIndex === 1);
  const link = (): LinkFacts[] => [
    { ifindex: 2, name: 'eth0', mac: PRIMARY_MAC, up: true, mtu: 9001 },
    ...(attached ? [{ ifindex: 3, name: 'lni0', mac: LNI_MAC, up: true, mtu: 1500 }] : []),
  ];
  const record = (name: string) => {
    calls.push(name);
  };
  const ec2: Ec2 = {
    describeSubnets: async () => [
      {
        subnetId: SUBNET,
        vpcId: 'vpc-01',
        cidrBlock: '10.20.1.0/24',
        availabilityZone: 'us-west-2a',
        outpostArn: OUTPOST,
        enableLniAtDeviceIndex: 1,
      },
    ],
    describeNetworkInterfaces: async (input) => {
      const owner = input.filters?.[`tag:${TAG_OWNER}`];
      if (owner) return world.enis.filter((e) => e.tags[TAG_OWNER] === owner[0]);
      if (input.ids) return world.enis.filter((e) => input.ids?.includes(e.networkInterfaceId));
      if (input.filters?.[`tag:${TAG_NO_MANAGE}`])
        return world.enis.filter((e) => e.tags[TAG_NO_MANAGE] === 'true');
      throw new Error(`unexpected describeNetworkInterfaces ${JSON.stringify(input)}`);
    },
    createNetworkInterface: async (input) => {
      record(`create ${input.clientToken}`);
      const eni = lniEni({ status: 'available', tags: input.tags, attachment: undefined });
      world.enis.push(eni);
      return eni;
    },
    attachNetworkInterface: async (input) => {
      record(`attach ${input.eniId}@${input.deviceIndex}`);
      attached = true;
      const eni = world.enis.find((e) => e.networkInterfaceId === input.eniId);
      if (eni) {
        eni.status = 'in-use';
        eni.attachment = {
          attachmentId: 'eni-attach-new',
          instanceId: input.instanceId,
          deviceIndex: input.deviceIndex,
          status: 'attached',
          deleteOnTermination: false,
        };
      }
      return 'eni-attach-new';
    },
    waitForAttached: async (input) => {
      record(`wait ${input.eniId}`);
      const eni = world.enis.find((e) => e.networkInterfaceId === input.eniId);
      if (!eni) throw new Error(`wait for unknown ${input.eniId}`);
      return structuredClone(eni);
    },
    setDeleteOnTermination: async (input) => {
      record(`delete-on-termination ${input.eniId} ${input.value}`);
      const a = world.enis.find((e) => e.networkInterfaceId === input.eniId)?.attachment;
      if (a) a.deleteOnTermination = input.value;
    },
    createTags: async (input) =>
      record(`tag ${input.resourceIds.join(',')} ${Object.keys(input.tags).sort().join(',')}`),
    detachNetworkInterface: unexpected('detachNetworkInterface'),
    waitForDetached: unexpected('waitForDetached'),
    deleteNetworkInterface: async (input) => record(`delete ${input.eniId}`),
    describeInstanceType: unexpected('describeInstanceType'),
    instanceStates: unexpected('instanceStates'),
    describeImages: unexpected('describeImages'),
    dryRun: async (probe) => {
      record(`dry-run ${probe.action}`);
      return { outcome: 'allowed' };
    },
  };
  const metrics = emptyMetrics();
  let metricsUpdates = 0;
  const observed = (): HostFacts => ({ links: link(), addresses: [], rules: [], routes: [], sysctls: {} });
  const deps: Deps = {
    log: pino({ level: 'silent' }),
    clock: {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    runner: { spawns: 0, run: unexpected('runner.run'), installed: async () => false },
    imds: imds(attached ? world.enis.find((e) => e.attachment?.deviceIndex === 1) : undefined),
    ec2: () => ec2,
    autoScaling: unexpected('autoScaling'),
    hostNet: {
      links: async () => link(),
      readSysctl: unexpected('readSysctl'),
      observe: async () => observed(),
      apply: async (steps) => {
        applied.push(...steps);
      },
      addressInUse: unexpected('addressInUse'),
      announce: unexpected('announce'),
      routeGet: unexpected('routeGet'),
    },
    snat: {
      observe: async () => ({
        defaultBackend: 'nf_tables',
        tables: { nf_tables: { chains: [], rules: [] } },
        rules: [],
      }),
      apply: async () => record('snat'),
    },
    dhcp: unexpected('dhcp'),
    files: {
      read: async (path) => files.get(path),
      write: async (path, content) => {
        if (files.get(path) === content) return false;
        files.set(path, content);
        return true;
      },
      remove: async (path) => files.delete(path),
    },
    state: {
      path: '/state.json',
      load: async () => saved && structuredClone(saved),
      save: async (s: AgentState) => {
        saved = structuredClone(s);
      },
    } as unknown as Deps['state'],
    monitor: unexpected('monitor') as unknown as Deps['monitor'],
    processes: { byName: async () => [] },
    locks: { acquire: async () => async () => {}, holder: unexpected('locks.holder') },
    metrics: {
      update: async (change) => {
        metricsUpdates++;
        change(metrics);
      },
    },
    joiner: unexpected('joiner'),
  };
  return { deps, calls, applied, files, saved: () => saved, metrics, updates: () => metricsUpdates };
}

const config = validateConfig({
  cluster: { name: 'edge' },
  addressing: { mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1' },
  join: { mode: 'none' },
});

describe('up (app level, port fakes)', () => {
  it('create: a fresh node creates one tagged ENI with its ClientToken, fences it, attaches it at the LNI index, sets DeleteOnTermination; the metrics say converged', async () => {
    const { deps, calls, files, saved, metrics } = fakeDeps({ enis: [] });
    const r = await up(config, deps, { dryRun: false });
    expect(r).toMatchObject({ instanceId: INSTANCE, lniName: 'lni0', dryRun: false });
    const token = clientTokenFor(INSTANCE, 0);
    expect(calls.filter((c) => !c.startsWith('dry-run') && c !== 'snat')).toEqual([
      `create ${token}`,
      'attach eni-0lni0000000000001@1',
      'wait eni-0lni0000000000001',
      'delete-on-termination eni-0lni0000000000001 true',
    ]);
    expect(calls.filter((c) => c.startsWith('dry-run'))).toEqual(['dry-run CreateNetworkInterface']);
    expect([...files.keys()]).toContain('/etc/systemd/network/09-outposts-node-agent-lni.network');
    expect(saved()?.eni).toMatchObject({ id: 'eni-0lni0000000000001', createdByAgent: true });
    expect(saved()?.pendingCreate).toBeUndefined();
    expect(saved()?.lastUp?.ok).toBe(true);
    expect(metrics.up).toMatchObject({ exitCode: 0, lastSuccessSeconds: expect.any(Number) });
    expect(metrics.lni).toEqual({
      present: true,
      up: true,
      interface: 'lni0',
      address: '192.0.2.10',
      mode: 'static',
    });
  });

  it('adopt: a launch template’s untagged LNI is tagged and given DeleteOnTermination; nothing created', async () => {
    const { deps, calls, saved } = fakeDeps({ enis: [lniEni()] });
    await up(config, deps, { dryRun: false });
    expect(calls.filter((c) => c !== 'snat')).toEqual([
      'dry-run CreateTags',
      `tag eni-0lni0000000000001 ${['Name', TAG_NO_MANAGE, 'outposts-node-agent:cluster', TAG_OWNER].sort().join(',')}`,
      'delete-on-termination eni-0lni0000000000001 true',
    ]);
    expect(saved()?.eni?.createdByAgent).toBe(false);
  });

  it('crash-resume: a create recorded as pending is retried with the same ClientToken and creation time', async () => {
    const state = emptyState(INSTANCE, '2026-01-01T00:00:00.000Z');
    state.pendingCreate = { clientToken: 'ona-i-0123456789abcdef0-g7', at: '2026-01-01T00:00:00.000Z' };
    const { deps, calls } = fakeDeps({ enis: [], state });
    await up(config, deps, { dryRun: false });
    expect(calls).toContain('create ona-i-0123456789abcdef0-g7');
  });

  it('dry-run: probes and plans, changes nothing in EC2, on the host or in the state file', async () => {
    const { deps, calls, applied, files, saved, updates } = fakeDeps({ enis: [] });
    const r = await up(config, deps, { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.ec2Steps.map((s) => s.kind)).toEqual([
      'create-eni',
      'attach-eni',
      'wait-attached',
      'set-delete-on-termination',
    ]);
    expect(calls).toEqual(['dry-run CreateNetworkInterface']);
    expect(applied).toEqual([]);
    expect([...files.keys()]).toEqual(['/etc/os-release']);
    expect(saved()).toBeUndefined();
    expect(updates()).toBe(0);
  });

  it('conflict: an ENI of another subnet at the LNI index is refused with exit 11 before any change; the metrics say so', async () => {
    const foreign = lniEni({ subnetId: 'subnet-0bbbbbbbbbbbbbbb2' });
    const { deps, calls, applied, metrics } = fakeDeps({ enis: [foreign] });
    const err = await up(config, deps, { dryRun: false }).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(ExitCode.preflight);
    expect(metrics.up).toMatchObject({
      exitCode: ExitCode.preflight,
      lastFailureSeconds: expect.any(Number),
    });
    expect(metrics.lni).toEqual({ present: false, up: false });
    expect((err as Error).message).toContain('subnet-0bbbbbbbbbbbbbbb2');
    expect(calls).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('converged: a second run makes no EC2 change', async () => {
    const world: World = { enis: [] };
    const first = fakeDeps(world);
    await up(config, first.deps, { dryRun: false });
    const second = fakeDeps({ enis: world.enis, state: first.saved() });
    await up(config, second.deps, { dryRun: false });
    expect(second.calls.filter((c) => c !== 'snat')).toEqual([]);
  });
});
