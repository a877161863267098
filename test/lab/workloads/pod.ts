// A lab "pod": a network namespace held by a tracked process, wired to a node the way the VPC CNI wires pods.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { ipBatch, ipJson, type NoOptions } from '../net/ip.ts';
import type { LabNetwork } from '../net/lab-network.ts';
import { labMs } from '../time-scale.ts';

const HTTP_ECHO = fileURLToPath(new URL('../net/http-echo.cjs', import.meta.url));
/** The VPC CNI's next hop inside every pod (a static neighbour; nothing answers ARP for it). */
const POD_GATEWAY = '169.254.1.1';
/** VPC CNI rule priorities (amazon-vpc-cni-k8s pkg/networkutils: ToContainer 512, FromPod 1536). */
export const TO_POD_PRIORITY = 512;
export const FROM_POD_PRIORITY = 1536;

export interface PodSpec {
  /** Short label, also the HTTP server's label. */
  name: string;
  /** The pod's VPC address (a /32, as the CNI assigns it). */
  ip: string;
  /** Host-side veth name (the CNI's default prefix is `eni`). */
  hostVeth: string;
  /** The ENI route table for a pod on a secondary ENI (`from <pod> lookup <table>` at 1536); main otherwise. */
  eniTable?: number;
}

/** Polls `check` until it resolves true or `timeoutMs` passes. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = labMs(15_000),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class LabPod {
  private constructor(
    readonly spec: PodSpec,
    readonly nodeNs: string,
    /** The process holding the pod's namespace (the lab kills it on destroy, and the namespace goes with it). */
    readonly pid: number,
    private readonly net: LabNetwork,
  ) {}

  /**
   * Starts the pod on node namespace NODENS, wired as amazon-vpc-cni-k8s does: in the pod a /32 address,
   * `169.254.1.1 dev eth0 scope link`, `default via 169.254.1.1` and a permanent neighbour entry for it with
   * the host veth's MAC; on the host `<pod> dev <veth> scope link` in main, `to <pod> lookup main` at 512 and,
   * for a secondary-ENI pod, `from <pod> lookup <eni table>` at 1536.
   */
  static async start(net: LabNetwork, nodeNs: string, spec: PodSpec): Promise<LabPod> {
    const holder = net.spawnIn(nodeNs, 'unshare', ['--net', '--', 'sleep', 'infinity']);
    const pid = holder.pid;
    if (pid === undefined) throw new Error(`pod ${spec.name}: no holder process`);
    // `unshare` execs `sleep` once the namespace exists.
    await until(
      `pod ${spec.name} namespace`,
      async () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep',
    );
    const pod = new LabPod(spec, nodeNs, pid, net);
    await ipBatch(nodeNs, [
      `link add name ${spec.hostVeth} type veth peer name eth0 netns ${pid}`,
      `link set dev ${spec.hostVeth} up`,
    ]);
    const [veth] = await ipJson<{ address: string }[]>(['-n', nodeNs, 'link', 'show', 'dev', spec.hostVeth]);
    await pod.exec('sysctl', [
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    await pod.exec('ip', ['-batch', '-'], {
      input: [
        'link set lo up',
        `addr add ${spec.ip}/32 dev eth0`,
        'link set eth0 up',
        `route add ${POD_GATEWAY} dev eth0 scope link`,
        `route add default via ${POD_GATEWAY} dev eth0`,
        `neigh add ${POD_GATEWAY} lladdr ${veth?.address} dev eth0 nud permanent`,
      ].join('\n'),
    });
    await ipBatch(nodeNs, [
      `route add ${spec.ip}/32 dev ${spec.hostVeth} scope link`,
      `rule add to ${spec.ip}/32 lookup main priority ${TO_POD_PRIORITY}`,
      ...(spec.eniTable
        ? [`rule add from ${spec.ip}/32 lookup ${spec.eniTable} priority ${FROM_POD_PRIORITY}`]
        : []),
    ]);
    return pod;
  }

  /** Runs CMD inside the pod's namespace. */
  exec<O extends Options = NoOptions>(cmd: string, args: readonly string[] = [], options?: O) {
    return execa('nsenter', [`--net=/proc/${this.pid}/ns/net`, cmd, ...args], options ?? ({} as O));
  }

  /** The lab's echo server inside the pod on PORT (all addresses); tracked by the lab, answers JSON. */
  async serveHttp(port: number): Promise<void> {
    const argv = [
      `--net=/proc/${this.pid}/ns/net`,
      process.execPath,
      HTTP_ECHO,
      '0.0.0.0',
      String(port),
      this.spec.name,
    ];
    this.net.spawnIn(this.nodeNs, 'nsenter', argv);
    await until(`http server in pod ${this.spec.name}`, async () => {
      const r = await this.exec('curl', ['-sS', '-m', '1', `http://127.0.0.1:${port}/`], { reject: false });
      return r.exitCode === 0;
    });
  }

  /** HTTP GET from inside the pod; the JSON body of the lab's echo server, or a rejection when none came. */
  async httpGet(url: string, timeoutSec = 3): Promise<{ remote: string; ns: string }> {
    const { stdout } = await this.exec('curl', ['-sS', '-m', String(timeoutSec), url]);
    return JSON.parse(stdout) as { remote: string; ns: string };
  }
}

/**
 * What the ipvlan CNI plugin does for `"master": PARENT, "mode": "l2"` with static/whereabouts IPAM: `net1` in the
 * pod, an L2 child of PARENT (sharing its MAC), with ADDRESS (a.b.c.d/n).
 */
export async function addIpvlanNet1(
  net: LabNetwork,
  nodeNs: string,
  pod: LabPod,
  parent: string,
  address: string,
) {
  await net.exec(nodeNs, 'ip', [
    'link',
    'add',
    'link',
    parent,
    'name',
    'net1',
    'type',
    'ipvlan',
    'mode',
    'l2',
  ]);
  await net.exec(nodeNs, 'ip', ['link', 'set', 'net1', 'netns', String(pod.pid)]);
  await pod.exec('ip', ['-batch', '-'], {
    input: [`addr add ${address} dev net1`, 'link set net1 up'].join('\n'),
  });
}
