// The whole lab in one object: EC2, Auto Scaling and IMDS endpoints wired to real namespaces, and a way to run the agent on a node.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { execa } from 'execa';
import YAML from 'yaml';
import { defaultAutoScalingFixture } from './autoscaling/fixture.ts';
import { type AutoScalingHandler, createAutoScalingHandler } from './autoscaling/server.ts';
import { type AutoScalingFixture, AutoScalingState, type ScaleIn } from './autoscaling/state.ts';
import { DEFAULT_FIXTURE_PATH, loadFixture } from './ec2/fixture.ts';
import { type RunningServer, serve } from './ec2/http-util.ts';
import { createEc2Handler, type Ec2Handler } from './ec2/server.ts';
import { Ec2State } from './ec2/state.ts';
import { createImdsHandler, type ImdsHandler } from './imds/server.ts';
import {
  type DhcpServerOptions,
  type IfaceNaming,
  LAB_ADDRS,
  LabNetwork,
  nodePrimaryIp,
} from './net/index.ts';
import { al2UdevName, ec2ifup } from './os/ec2-net-utils-v1.ts';
import { type NodeOs, startNetworkd, startNetworkManager } from './os/node-os.ts';
import type { NodeadmResult } from './os/nodeadm.ts';
import { type BrokerHost, udevNetManagerAdd } from './os/nodeadm-udev.ts';
import { udevLinkName } from './os/udev-link.ts';
import { labMs } from './time-scale.ts';
import type { LabFixture, LabInstance, LabTimings } from './types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAND_INS = join(ROOT, 'test/integration/stand-ins');
const NODEADM_CLI = join(ROOT, 'test/lab/os/nodeadm-cli.ts');
/** The Auto Scaling endpoint listens beside EC2's, on the next port of the VPC router. */
const AUTO_SCALING_PORT = LAB_ADDRS.ec2Port + 1;
/**
 * The EKS cluster the lab's nodes join, as DescribeCluster would answer for it (there is no EKS endpoint in the
 * lab: the bootstrap.sh stand-in reads this where the real script would call DescribeCluster). Its service CIDR is
 * a custom one, so cluster DNS is 10.123.0.10 and any guess from the VPC is wrong.
 */
export const LAB_EKS_CLUSTER = {
  endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
  certificateAuthority: 'Y2E=',
  serviceIpv4Cidr: '10.123.0.0/16',
  dnsIp: '10.123.0.10',
};
export const LAB_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'lab-secret-not-real',
};

export const OS_RELEASE = {
  al2: 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\nPRETTY_NAME="Amazon Linux 2"\n',
  al2023:
    'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023.6.20250101"\n',
  rhel: 'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n',
} as const;
export type LabDistro = keyof typeof OS_RELEASE;

export interface LabNode {
  n: number;
  instanceId: string;
  ns: string;
  primaryIp: string;
  primaryMac: string;
  /** Per-node scratch: host root, state, lock and run dir live here. */
  dir: string;
  hostRoot: string;
  configPath: string;
  statePath: string;
  runDir: string;
  /** node_exporter's textfile directory for this node (metrics.directory). */
  metricsDir: string;
  /** What the agent's environment is on this node (endpoints, credentials, paths). */
  env: Record<string, string>;
}

export interface LabOptions {
  nodes?: number;
  fixture?: LabFixture;
  timings?: Partial<LabTimings>;
  /** Hot-plugged NIC names per node (1-based); default odd nodes ethN, even nodes ensN+5. */
  naming?: (n: number) => IfaceNaming | undefined;
  dhcp?: boolean | DhcpServerOptions;
  distro?: LabDistro;
  /**
   * Auto Scaling groups and hooks, or a function of the nodes' instance ids (node N at index N-1) returning
   * them (default: every node in one group with a 30 s termination hook).
   */
  autoScaling?: AutoScalingFixture | ((instanceIds: string[]) => AutoScalingFixture);
}

export interface AgentRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The JSON log lines the agent wrote to stderr. */
  logs: Record<string, unknown>[];
}

/** Adds instances to the fixture so it has `count` of them, at the addresses the network gives node N. */
function withInstances(fixture: LabFixture, count: number): LabFixture {
  const instances = [...(fixture.instances ?? [])];
  const template = instances[0] ?? {};
  for (let n = instances.length + 1; n <= count; n++)
    instances.push({
      ...template,
      instanceId: `i-0a1b2c3d4e5f${(60000 + n).toString(16).padStart(5, '0')}`,
      privateIpAddress: nodePrimaryIp(n),
      tags: [{ key: 'Name', value: `lab-node-${n}` }],
    });
  return { ...fixture, instances: instances.slice(0, count) };
}

export class Lab {
  private readonly servers: RunningServer[] = [];

  private constructor(
    readonly state: Ec2State,
    readonly ec2: Ec2Handler,
    readonly imds: ImdsHandler,
    readonly net: LabNetwork,
    readonly nodes: LabNode[],
    /** Auto Scaling's groups, hooks and lifecycle actions (`scaleIn` starts a termination). */
    readonly autoScalingState: AutoScalingState,
    /** The Auto Scaling endpoint's controls: faults and call log, as `ec2` has. */
    readonly autoScaling: AutoScalingHandler,
  ) {}

  /** Loopback URLs of the endpoints, for the test process's own SDK/CLI calls. */
  ec2Url = '';
  imdsUrl = '';
  autoScalingUrl = '';

  static async start(opts: LabOptions = {}): Promise<Lab> {
    const count = opts.nodes ?? 2;
    const fixture = withInstances(opts.fixture ?? (await loadFixture(DEFAULT_FIXTURE_PATH)), count);
    const state = new Ec2State({ fixture, timings: opts.timings });
    const instances = state.instances();
    const asgFixture =
      typeof opts.autoScaling === 'function'
        ? opts.autoScaling(instances.map((i) => i.instanceId))
        : (opts.autoScaling ?? defaultAutoScalingFixture());
    const asgState = new AutoScalingState(state, asgFixture);
    const primaryMac = (i: LabInstance) =>
      state.enisOfInstance(i.instanceId).find((e) => e.attachment?.deviceIndex === 0)?.macAddress ?? '';
    let net: LabNetwork | undefined;
    try {
      net = await LabNetwork.create({
        nodes: instances.map((i, k) => ({
          instanceId: i.instanceId,
          primaryIp: i.privateIpAddress,
          primaryMac: primaryMac(i),
          naming: opts.naming?.(k + 1),
        })),
        dhcp: opts.dhcp ?? true,
      });
      await state.setHotPlug(net.hotPlug, { replay: true });
      const ec2 = createEc2Handler(state);
      const imds = createImdsHandler({ state });
      const asg = createAutoScalingHandler(asgState, { baseLatencyMs: () => state.timings.baseLatencyMs });
      const nodes = await Promise.all(
        instances.map((i, k) =>
          Lab.prepareNode(net as LabNetwork, i, k + 1, primaryMac(i), opts.distro ?? 'al2023'),
        ),
      );
      const lab = new Lab(state, ec2, imds, net, nodes, asgState, asg);
      const [imdsSock, ec2Sock, asgSock] = await net.listen(net.ns.vpc, [
        { host: LAB_ADDRS.imds, port: 80 },
        { host: LAB_ADDRS.vpcRouter, port: LAB_ADDRS.ec2Port },
        { host: LAB_ADDRS.vpcRouter, port: AUTO_SCALING_PORT },
      ]);
      if (!imdsSock || !ec2Sock || !asgSock)
        throw new Error('lab: listening sockets in the vpc namespace missing');
      lab.servers.push(
        await serve(imds, { handle: imdsSock }),
        await serve(ec2, { handle: ec2Sock }),
        await serve(asg, { handle: asgSock }),
      );
      const ec2Local = await serve(ec2, { host: '127.0.0.1', port: 0 });
      const imdsLocal = await serve(imds, { host: '127.0.0.1', port: 0 });
      const asgLocal = await serve(asg, { host: '127.0.0.1', port: 0 });
      lab.servers.push(ec2Local, imdsLocal, asgLocal);
      lab.ec2Url = ec2Local.url;
      lab.imdsUrl = imdsLocal.url;
      lab.autoScalingUrl = asgLocal.url;
      return lab;
    } catch (err) {
      asgState.dispose();
      state.dispose();
      await net?.destroy();
      throw err;
    }
  }

  private static async prepareNode(
    net: LabNetwork,
    i: LabInstance,
    n: number,
    mac: string,
    distro: LabDistro,
  ): Promise<LabNode> {
    const dir = join(net.tmpDir, `node${n}`);
    const hostRoot = join(dir, 'root');
    const node: LabNode = {
      n,
      instanceId: i.instanceId,
      ns: net.nodeNs(n),
      primaryIp: i.privateIpAddress,
      primaryMac: mac,
      dir,
      hostRoot,
      configPath: join(dir, 'config.yaml'),
      statePath: join(dir, 'state', 'state.json'),
      runDir: join(dir, 'run'),
      metricsDir: join(dir, 'textfile'),
      env: {},
    };
    node.env = {
      ...LAB_CREDENTIALS,
      AWS_ENDPOINT_URL_EC2: `http://${LAB_ADDRS.vpcRouter}:${LAB_ADDRS.ec2Port}`,
      AWS_ENDPOINT_URL_AUTO_SCALING: `http://${LAB_ADDRS.vpcRouter}:${AUTO_SCALING_PORT}`,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://${LAB_ADDRS.imds}/`,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      STAND_IN_RECORD: join(dir, 'join.args'),
      LAB_EKS_CLUSTER: `${LAB_EKS_CLUSTER.endpoint} ${LAB_EKS_CLUSTER.certificateAuthority} ${LAB_EKS_CLUSTER.serviceIpv4Cidr}`,
      OUTPOSTS_NODE_AGENT__PATHS__STATE_FILE: node.statePath,
      OUTPOSTS_NODE_AGENT__PATHS__LOCK_FILE: join(dir, 'agent.lock'),
      OUTPOSTS_NODE_AGENT__PATHS__RUN_DIR: node.runDir,
      OUTPOSTS_NODE_AGENT__PATHS__HOST_ROOT: hostRoot,
      OUTPOSTS_NODE_AGENT__METRICS__DIRECTORY: node.metricsDir,
    };
    await mkdir(join(hostRoot, 'etc/eks'), { recursive: true });
    await writeFile(join(hostRoot, 'etc/os-release'), OS_RELEASE[distro]);
    await copyFile(join(STAND_INS, 'bootstrap.sh'), join(hostRoot, 'etc/eks/bootstrap.sh'));
    await copyFile(
      join(ROOT, 'test/lab/fixtures/eni-max-pods.txt'),
      join(hostRoot, 'etc/eks/eni-max-pods.txt'),
    );
    return node;
  }

  node(n: number): LabNode {
    const node = this.nodes[n - 1];
    if (!node) throw new Error(`lab has no node ${n}`);
    return node;
  }

  /** A real EC2 client on loopback, for assertions and for seeding the lab the way AWS users would. */
  sdk(): EC2Client {
    return new EC2Client({
      endpoint: this.ec2Url,
      region: this.state.region,
      credentials: {
        accessKeyId: LAB_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LAB_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
      maxAttempts: 1,
    });
  }

  /** Scales the node's instance in: Terminating:Wait, IMDS `Terminated`, EC2 termination when its hooks end. */
  scaleIn(node: LabNode): ScaleIn {
    return this.autoScalingState.scaleIn(node.instanceId);
  }

  /** The instance's user data (what RunInstances was given; IMDS `latest/user-data` serves it). */
  setUserData(node: LabNode, userData: string | undefined): void {
    const instance = this.state.getInstance(node.instanceId);
    if (!instance) throw new Error(`lab has no instance ${node.instanceId}`);
    instance.userData = userData;
  }

  /**
   * What the AL2023 AMI's nodeadm-run.service does after cloud-final (the nodeadm stand-in, test/lab/os/nodeadm.ts):
   * user data and /etc/eks/nodeadm.d merged, validated, kubelet's config and flags written under the host root.
   */
  async nodeadmRun(node: LabNode, sources: string[] = []): Promise<AgentRun & { result?: NodeadmResult }> {
    const r = await execa(
      'ip',
      [
        ...[
          'netns',
          'exec',
          node.ns,
          process.execPath,
          '--import',
          'tsx',
          NODEADM_CLI,
          '--root',
          node.hostRoot,
        ],
        ...sources.flatMap((s) => ['--config-source', s]),
      ],
      { reject: false, env: node.env, extendEnv: false, timeout: labMs(60_000) },
    );
    const stdout = String(r.stdout);
    return {
      exitCode: r.exitCode,
      stdout,
      stderr: String(r.stderr),
      logs: parseLogs(String(r.stderr)),
      result: r.exitCode === 0 ? (JSON.parse(stdout) as NodeadmResult) : undefined,
    };
  }

  /**
   * Runs Debian's systemd-networkd (252, as AL2023) for the node, with the distro's catch-all .network; with
   * `nodeadm`, also the EKS AMI's udev-net-manager stand-in for every NIC the node gets from now on (as its udev
   * rule would start it), which `udevSettled` waits for.
   */
  async startNetworkd(node: LabNode, opts: { nodeadm?: boolean } = {}): Promise<NodeOs> {
    const os = await startNetworkd(this.net, node);
    if (opts.nodeadm) {
      const host = this.brokerHost(node, os);
      this.net.hotPlug.listeners.add((ev) => {
        if (
          ev.kind !== 'attach' ||
          ev.result !== 'created' ||
          ev.instanceId !== node.instanceId ||
          !ev.ifname
        )
          return;
        const run = udevNetManagerAdd(host, ev.ifname).then(
          (manager) => {
            this.udevRuns.push({ node: node.n, ifname: ev.ifname ?? '', manager });
          },
          (err: unknown) => {
            this.udevRuns.push({ node: node.n, ifname: ev.ifname ?? '', error: String(err) });
          },
        );
        this.pendingUdev.add(run);
        void run.finally(() => this.pendingUdev.delete(run));
      });
    }
    return os;
  }

  /**
   * Runs Debian's NetworkManager (1.42, as RHEL 9) for the node with the distro's defaults (automatic DHCP on every
   * ethernet device without a profile), and from now on names the node's new NICs as udev would from its .link files.
   */
  async startNetworkManager(node: LabNode): Promise<NodeOs> {
    this.net.hotPlug.udevNames.set(node.instanceId, (mac) => udevLinkName(node.hostRoot, mac));
    return startNetworkManager(this.net, node);
  }

  /**
   * An AL2 node with amazon-ec2-net-utils 1.x (a custom AMI; the EKS AL2 AMI removes it): from now on udev names the
   * node's new NICs by its rules files and the persistent-net generator, and ec2net-ifup@ runs ec2ifup for each
   * (test/lab/os/ec2-net-utils-v1.ts), starting the real dhclient on what it configures. `udevSettled` waits for it.
   */
  startEc2NetUtilsV1(node: LabNode): void {
    this.net.hotPlug.udevNames.set(node.instanceId, (mac, kernelName) =>
      al2UdevName(node.hostRoot, mac, kernelName),
    );
    const host = {
      root: node.hostRoot,
      macOf: async (ifname: string) =>
        (await this.net.linksIn(node.ns)).find((l) => l.ifname === ifname)?.address,
      startDhclient: async (ifname: string) => {
        const dir = join(node.dir, 'os');
        await mkdir(dir, { recursive: true });
        const resolv = join(dir, 'resolv.conf');
        await writeFile(resolv, '');
        // Debian's dhclient-script, as AL2's would, configures the lease; the node's resolv.conf is a scratch file.
        this.net.spawnIn(node.ns, 'unshare', [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          `mount --bind ${resolv} /etc/resolv.conf && exec dhclient -d -pf ${dir}/dhclient-${ifname}.pid -lf ${dir}/dhclient-${ifname}.leases ${ifname}`,
        ]);
      },
    };
    this.net.hotPlug.listeners.add((ev) => {
      if (ev.kind !== 'attach' || ev.result !== 'created' || ev.instanceId !== node.instanceId) return;
      const iface = ev.kernelName ?? ev.ifname ?? '';
      if (!/^eth/.test(iface)) return; // 53-ec2-network-interfaces.rules: KERNEL=="eth*"
      const run = ec2ifup(host, iface).then(
        (outcome) => {
          this.netUtilsRuns.push({ node: node.n, ifname: iface, outcome });
        },
        (err: unknown) => {
          this.netUtilsRuns.push({ node: node.n, ifname: iface, outcome: `error: ${String(err)}` });
        },
      );
      this.pendingUdev.add(run);
      void run.finally(() => this.pendingUdev.delete(run));
    });
  }

  /** What ec2net-ifup@ (the net-utils 1.x stand-in) did, in order. */
  readonly netUtilsRuns: { node: number; ifname: string; outcome: string }[] = [];

  /** What the udev-net-manager stand-in did, in order. */
  readonly udevRuns: { node: number; ifname: string; manager?: string; error?: string }[] = [];
  private readonly pendingUdev = new Set<Promise<void>>();

  /** Resolves once every udev-started stand-in has finished. */
  async udevSettled(): Promise<void> {
    while (this.pendingUdev.size) await Promise.allSettled([...this.pendingUdev]);
  }

  /** What nodeadm's udev broker and boot hook see of a node: IMDS, /sys, its host root, the real networkctl. */
  brokerHost(node: LabNode, os: NodeOs): BrokerHost & { primaryName: string } {
    const eniByMac = (mac: string) => this.state.allEnis().find((e) => e.macAddress === mac);
    return {
      root: node.hostRoot,
      instanceId: node.instanceId,
      primaryMac: node.primaryMac,
      primaryName: 'eth0',
      deviceNumber: (mac) => eniByMac(mac)?.attachment?.deviceIndex,
      localIpv4: (mac) => eniByMac(mac)?.privateIpAddress,
      macOf: async (ifname) => (await this.net.linksIn(node.ns)).find((l) => l.ifname === ifname)?.address,
      networkctl: (args) => os.exec('networkctl', args),
    };
  }

  async setDistro(node: LabNode, distro: LabDistro): Promise<void> {
    await writeFile(join(node.hostRoot, 'etc/os-release'), OS_RELEASE[distro]);
  }

  async writeConfig(node: LabNode, config: Record<string, unknown>): Promise<void> {
    await writeFile(node.configPath, YAML.stringify(config));
  }

  /** The agent's command line: the bundle under Node, or a compiled executable named by AGENT_BIN. */
  static agentCommand(): string[] {
    const bin = process.env.AGENT_BIN;
    return bin ? [bin] : [process.execPath, join(ROOT, 'dist/agent.mjs')];
  }

  /** Runs the agent inside the node's namespace, as it runs on the node (log lines parsed from stderr). */
  async agent(
    node: LabNode,
    args: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number; config?: Record<string, unknown> } = {},
  ): Promise<AgentRun> {
    if (opts.config) await this.writeConfig(node, opts.config);
    const r = await this.spawnAgent(node, args, {
      env: opts.env,
      timeoutMs: opts.timeoutMs ?? labMs(60_000),
    });
    return {
      exitCode: r.exitCode,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
      logs: parseLogs(String(r.stderr)),
    };
  }

  /** Starts the agent without waiting (for crash and signal tests); `agent()` is this, awaited and parsed. */
  spawnAgent(node: LabNode, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}) {
    const argv = ['netns', 'exec', node.ns, ...Lab.agentCommand(), ...args];
    return execa('ip', [...argv, '--config', node.configPath, '--log-format', 'json'], {
      reject: false,
      env: { ...node.env, ...opts.env },
      extendEnv: false,
      buffer: true,
      ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    });
  }

  async readState(node: LabNode): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(node.statePath, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** ENIs that carry the agent's owner tag for this node's instance (from the lab's EC2 state). */
  ownedEnis(node: LabNode) {
    return this.state
      .allEnis()
      .filter((e) =>
        e.tags.some((t) => t.key === 'outposts-node-agent:owner-instance' && t.value === node.instanceId),
      );
  }

  async destroy(): Promise<void> {
    this.ec2.dispose();
    this.imds.dispose();
    this.autoScaling.dispose();
    this.autoScalingState.dispose();
    await Promise.allSettled(this.servers.map((s) => s.close()));
    await this.state.settled().catch(() => {});
    this.state.dispose();
    await this.net.destroy();
  }
}

export function parseLogs(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
