// The lab network on real namespaces: VPC router, N nodes, on-prem LAN, device, dnsmasq; teardown by record.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type ResultPromise } from 'execa';
import { labMs } from '../time-scale.ts';
import { defaultNaming, type IfaceNaming, NetnsHotPlug } from './hot-plug.ts';
import {
  type IpLink,
  ipBatch,
  type LinkCounters,
  linkByMac,
  linkCounters,
  listLinks,
  listNamespaces,
  type NoOptions,
  nsExec,
} from './ip.ts';
import {
  LAB_TMP_PREFIX,
  type LabRecord,
  LEFTOVER_DIR,
  recordSelf,
  teardownRecord,
  teardownRecordSync,
  writeLabRecord,
} from './leftovers.ts';
import { type ListenAddress, listenInNetns } from './listen-in-netns.ts';
import { recordProcess } from './proc.ts';

/** Fixed addresses of the lab topology (the EC2 fixture's subnet and instances must agree). */
export const LAB_ADDRS = {
  vpcCidr: '10.20.1.0/24',
  /** The VPC subnet's router; the EC2 endpoint listens here (port 8000) inside the vpc namespace. */
  vpcRouter: '10.20.1.1',
  ec2Port: 8000,
  imds: '169.254.169.254',
  lanCidr: '192.0.2.0/24',
  lanGateway: '192.0.2.1',
  dhcpServer: '192.0.2.2',
  device: '192.0.2.50',
  dhcpRange: { first: '192.0.2.100', last: '192.0.2.199' },
  /** Left free for pool-mode tests (neither DHCP nor static lab hosts use it). */
  poolRange: { first: '192.0.2.200', last: '192.0.2.250' },
  /** An on-prem network behind the LAN gateway (on `onprem0` in the lan namespace). */
  onPremCidr: '198.51.100.0/24',
  onPremGateway: '198.51.100.1',
} as const;

/** Primary (eth0) address of lab node N (1-based): 10.20.1.(10+N), as the EC2 fixture's instance N has. */
export function nodePrimaryIp(n: number): string {
  return `10.20.1.${10 + n}`;
}

export interface LabNodeSpec {
  instanceId: string;
  /** eth0's address in 10.20.1.0/24 (the instance's privateIpAddress). */
  primaryIp: string;
  /** eth0's MAC (the primary ENI's macAddress). */
  primaryMac: string;
  /** Hot-plugged NIC names; default: odd nodes `ethN`, even nodes `ens<5+N>`. */
  naming?: IfaceNaming;
}

export interface LabNetworkOptions {
  /** Namespace name prefix (default `ona` + 5 random base36 characters). */
  prefix?: string;
  nodes: LabNodeSpec[];
  /** Run dnsmasq in the dhcp namespace (default true), optionally with its lease times. */
  dhcp?: boolean | DhcpServerOptions;
  /** Where the leftover record is kept (default /run/ona-lab). */
  leftoverDir?: string;
}

export interface LabNamespaces {
  vpc: string;
  lan: string;
  /** The on-prem device host. */
  dev: string;
  dhcp: string;
  /** Node namespaces, node 1 first. */
  nodes: string[];
}

export interface DhcpServerOptions {
  /** Lease time (dnsmasq's minimum is 120 s; default 10 min). */
  leaseSeconds?: number;
  /** T1 and T2 (DHCP options 58/59) sent with every lease: when clients renew and rebind. */
  renewSeconds?: number;
  rebindSeconds?: number;
}

export interface DhcpLease {
  expires: number;
  mac: string;
  ip: string;
  hostname: string;
}

export interface HttpService {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const HTTP_ECHO = fileURLToPath(new URL('./http-echo.cjs', import.meta.url));
const NAME_RE = /^[a-z0-9]{1,10}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/** Labs alive in this process, torn down synchronously if it exits or is interrupted first. */
const liveLabs = new Set<LabNetwork>();
let exitHookInstalled = false;
const signalHooks = new Set<NodeJS.Signals>();

function randomPrefix(): string {
  return `ona${Math.random().toString(36).slice(2, 7).padEnd(5, '0')}`;
}

function destroyAllSync(): void {
  for (const lab of liveLabs) lab.destroySync();
}

function installExitHooks(): void {
  if (!exitHookInstalled) process.on('exit', destroyAllSync);
  exitHookInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    if (signalHooks.has(sig)) continue;
    // Tear down, then raise the signal again without us: the default action (or whoever else listens, e.g.
    // execa's signal-exit, which only re-raises when it is the last listener) then ends the process.
    const onSignal = () => {
      destroyAllSync();
      process.removeListener(sig, onSignal);
      signalHooks.delete(sig);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
    signalHooks.add(sig);
  }
}

/** Resolves once STREAM of SUB prints a line matching RE; rejects if SUB ends first or after timeoutMs. */
function waitForOutput(
  sub: ResultPromise,
  stream: 'stdout' | 'stderr',
  re: RegExp,
  what: string,
  timeoutMs = labMs(5000),
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (re.test(seen)) done();
    };
    const timer = setTimeout(
      () => done(new Error(`${what}: not ready after ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    const done = (err?: Error) => {
      clearTimeout(timer);
      sub[stream]?.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    sub[stream]?.on('data', onData);
    const onEnd = (r: { exitCode?: number; signal?: string }) =>
      done(new Error(`${what}: exited (${r.exitCode ?? r.signal}) before ready:\n${seen}`));
    sub.then(onEnd, onEnd);
  });
}

/**
 * The lab's network. Namespaces `<prefix>-vpc` (bridge `vpcbr` 10.20.1.1/24, 169.254.169.254/32 on lo,
 * forwarding), `<prefix>-nN` (eth0 on vpcbr with the instance's primary IP and MAC, default via 10.20.1.1),
 * `<prefix>-lan` (bridge `br0` 192.0.2.1/24 = LAN gateway, `onprem0` 198.51.100.1/24, forwarding),
 * `<prefix>-dev` (192.0.2.50, default via the gateway) and `<prefix>-dhcp` (192.0.2.2, dnsmasq).
 * Every interface is created inside its namespace, so the root namespace never changes. IPv6 is off in
 * every lab namespace so link counters only move for the traffic a test sends.
 */
export class LabNetwork {
  readonly prefix: string;
  readonly ns: LabNamespaces;
  readonly hotPlug: NetnsHotPlug;
  /** Per-lab temp dir (dnsmasq leases, DHCP client files, ...); removed on destroy. */
  readonly tmpDir: string;
  readonly #record: LabRecord;
  readonly #leftoverDir: string;
  readonly #nodes: readonly LabNodeSpec[];
  readonly #children = new Set<number>();
  readonly #servers: Server[] = [];
  #dhcpLog = '';
  #destroyed = false;

  readonly #dhcpOptions: DhcpServerOptions;
  #dnsmasqPid: number | undefined;

  private constructor(
    prefix: string,
    nodes: readonly LabNodeSpec[],
    dhcp: boolean | DhcpServerOptions,
    leftoverDir: string,
  ) {
    this.#dhcpOptions = typeof dhcp === 'object' ? dhcp : {};
    this.prefix = prefix;
    this.#nodes = nodes;
    this.#leftoverDir = leftoverDir;
    this.ns = {
      vpc: `${prefix}-vpc`,
      lan: `${prefix}-lan`,
      dev: `${prefix}-dev`,
      dhcp: `${prefix}-dhcp`,
      nodes: nodes.map((_, i) => `${prefix}-n${i + 1}`),
    };
    this.tmpDir = mkdtempSync(join(tmpdir(), `${LAB_TMP_PREFIX}${prefix}-`));
    const namespaces = [
      this.ns.vpc,
      this.ns.lan,
      this.ns.dev,
      ...this.ns.nodes,
      ...(dhcp !== false ? [this.ns.dhcp] : []),
    ];
    this.#record = {
      prefix,
      owner: recordSelf(),
      namespaces,
      procs: [],
      tmpDir: this.tmpDir,
      createdAt: new Date().toISOString(),
    };
    this.hotPlug = new NetnsHotPlug(
      nodes.map((n, i) => ({
        instanceId: n.instanceId,
        number: i + 1,
        ns: this.ns.nodes[i] as string,
        naming: n.naming ?? defaultNaming(i + 1),
      })),
      { vpc: { ns: this.ns.vpc, bridge: 'vpcbr' }, lan: { ns: this.ns.lan, bridge: 'br0' } },
    );
  }

  /** Builds the lab; on any failure tears down what was built and rethrows. */
  static async create(opts: LabNetworkOptions): Promise<LabNetwork> {
    for (const n of opts.nodes) {
      const host = /^10\.20\.1\.(\d{1,3})$/.exec(n.primaryIp)?.[1];
      if (host === undefined || Number(host) < 2 || Number(host) > 254)
        throw new Error(
          `node ${n.instanceId}: primaryIp ${n.primaryIp} is not a host in ${LAB_ADDRS.vpcCidr}`,
        );
      if (!MAC_RE.test(n.primaryMac)) throw new Error(`node ${n.instanceId}: bad primaryMac ${n.primaryMac}`);
    }
    const existing = await listNamespaces();
    const taken = (p: string) => existing.some((ns) => ns.startsWith(`${p}-`));
    let prefix = opts.prefix ?? randomPrefix();
    while (!opts.prefix && taken(prefix)) prefix = randomPrefix();
    if (!NAME_RE.test(prefix)) throw new Error(`lab prefix ${prefix} must match ${NAME_RE}`);
    if (taken(prefix)) throw new Error(`namespaces with prefix ${prefix}- already exist`);
    const lab = new LabNetwork(prefix, opts.nodes, opts.dhcp ?? true, opts.leftoverDir ?? LEFTOVER_DIR);
    // Record before creating anything, so even an interrupted build is found by cleanupLeftovers().
    writeLabRecord(lab.#record, lab.#leftoverDir);
    liveLabs.add(lab);
    installExitHooks();
    try {
      await lab.#build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  async #build(): Promise<void> {
    const { vpc, lan, dev, dhcp, nodes } = this.ns;
    const withDhcp = this.#record.namespaces.includes(dhcp);
    await Promise.all(this.#record.namespaces.map((ns) => this.#addNamespace(ns)));
    const sysctls = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    const forwarding = [...sysctls, 'net.ipv4.ip_forward=1'];
    await Promise.all(
      this.#record.namespaces.map((ns) =>
        nsExec(ns, 'sysctl', ['-qw', ...(ns === vpc || ns === lan ? forwarding : sysctls)]),
      ),
    );
    await Promise.all([
      ipBatch(vpc, [
        'link set lo up',
        `addr add ${LAB_ADDRS.imds}/32 dev lo`,
        'link add vpcbr type bridge',
        `addr add ${LAB_ADDRS.vpcRouter}/24 dev vpcbr`,
        'link set vpcbr up',
      ]),
      ipBatch(lan, [
        'link set lo up',
        'link add br0 type bridge',
        `addr add ${LAB_ADDRS.lanGateway}/24 dev br0`,
        'link set br0 up',
        // A port-less bridge stands in for a dummy interface (this kernel may lack CONFIG_DUMMY).
        'link add onprem0 type bridge',
        `addr add ${LAB_ADDRS.onPremGateway}/24 dev onprem0`,
        'link set onprem0 up',
      ]),
    ]);
    // Each host's eth0 is made in its own namespace, its peer directly in vpc/lan; peers join the bridge after.
    const hosts: { ns: string; side: string; peer: string; addr: string; mac?: string; gw: string }[] = [
      ...this.#nodes.map((n, i) => ({
        ns: nodes[i] as string,
        side: vpc,
        peer: `n${i + 1}eth0`,
        addr: `${n.primaryIp}/24`,
        mac: n.primaryMac,
        gw: LAB_ADDRS.vpcRouter,
      })),
      { ns: dev, side: lan, peer: 'deveth0', addr: `${LAB_ADDRS.device}/24`, gw: LAB_ADDRS.lanGateway },
      ...(withDhcp
        ? [
            {
              ns: dhcp,
              side: lan,
              peer: 'dhcpeth0',
              addr: `${LAB_ADDRS.dhcpServer}/24`,
              gw: LAB_ADDRS.lanGateway,
            },
          ]
        : []),
    ];
    await Promise.all(
      hosts.map((h) =>
        ipBatch(h.ns, [
          'link set lo up',
          `link add name eth0 ${h.mac ? `address ${h.mac} ` : ''}type veth peer name ${h.peer} netns ${h.side}`,
          `addr add ${h.addr} dev eth0`,
          'link set eth0 up',
          `route add default via ${h.gw} dev eth0`,
        ]),
      ),
    );
    await Promise.all(
      [vpc, lan].map((side) => {
        const bridge = side === vpc ? 'vpcbr' : 'br0';
        const peers = hosts
          .filter((h) => h.side === side)
          .map((h) => `link set dev ${h.peer} master ${bridge} up`);
        return ipBatch(side, peers);
      }),
    );
    if (withDhcp) await this.#startDnsmasq();
  }

  /** `ip netns add NS`; if NS turns out to exist already it is not ours, so it leaves the record. */
  async #addNamespace(ns: string): Promise<void> {
    try {
      await execa('ip', ['netns', 'add', ns]);
    } catch (err) {
      if (/exists/i.test(String((err as { stderr?: string }).stderr))) {
        this.#record.namespaces = this.#record.namespaces.filter((n) => n !== ns);
        writeLabRecord(this.#record, this.#leftoverDir);
      }
      throw err;
    }
  }

  async #startDnsmasq(): Promise<void> {
    const { first, last } = LAB_ADDRS.dhcpRange;
    const { leaseSeconds = 600, renewSeconds, rebindSeconds } = this.#dhcpOptions;
    writeFileSync(this.dhcpHostsFile, '');
    const sub = this.spawnIn(this.ns.dhcp, 'dnsmasq', [
      '--keep-in-foreground',
      '--log-facility=-',
      '--conf-file=/dev/null',
      '--port=0',
      '--interface=eth0',
      '--bind-interfaces',
      '--user=root',
      '--dhcp-authoritative',
      // No ping-before-offer (a 3 s wait per new lease); static lab hosts sit outside the range anyway.
      '--no-ping',
      '--log-dhcp',
      `--dhcp-range=${first},${last},255.255.255.0,${leaseSeconds}s`,
      `--dhcp-option=option:router,${LAB_ADDRS.lanGateway}`,
      ...(renewSeconds ? [`--dhcp-option=option:T1,${renewSeconds}`] : []),
      ...(rebindSeconds ? [`--dhcp-option=option:T2,${rebindSeconds}`] : []),
      // Re-read on SIGHUP: setDhcpHost() moves a client to another address at its next renewal.
      `--dhcp-hostsfile=${this.dhcpHostsFile}`,
      `--dhcp-leasefile=${this.dhcpLeaseFile}`,
      `--pid-file=${join(this.tmpDir, 'dnsmasq.pid')}`,
    ]);
    sub.stderr?.on('data', (chunk: Buffer) => {
      this.#dhcpLog += chunk.toString();
    });
    await waitForOutput(sub, 'stderr', /DHCP, IP range/, 'dnsmasq');
    this.#dnsmasqPid = sub.pid;
  }

  get dhcpHostsFile(): string {
    return join(this.tmpDir, 'dnsmasq.hosts');
  }

  /**
   * Gives MAC a fixed address from now on (dnsmasq --dhcp-hostsfile, re-read on SIGHUP): at the client's next
   * renewal dnsmasq refuses the old address (DHCPNAK) and the client's new DISCOVER gets this one.
   */
  setDhcpHost(mac: string, ip: string): void {
    const lines = readFileSync(this.dhcpHostsFile, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith(`${mac},`));
    writeFileSync(this.dhcpHostsFile, `${[...lines, `${mac},${ip}`].join('\n')}\n`);
    if (this.#dnsmasqPid) process.kill(this.#dnsmasqPid, 'SIGHUP');
  }

  /**
   * Another host on the LAN bridge (untagged, like the device): namespace `<prefix>-<suffix>` with `eth0` and
   * ADDRESS, recorded so teardown removes it.
   */
  async addLanHost(suffix: string, address: string): Promise<string> {
    if (!NAME_RE.test(suffix)) throw new Error(`host suffix ${suffix} must match ${NAME_RE}`);
    const ns = `${this.prefix}-${suffix}`;
    this.#record.namespaces.push(ns);
    writeLabRecord(this.#record, this.#leftoverDir);
    await this.#addNamespace(ns);
    await nsExec(ns, 'sysctl', [
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    const peer = `${suffix}eth0`.slice(0, 15);
    await ipBatch(ns, [
      'link set lo up',
      `link add name eth0 type veth peer name ${peer} netns ${this.ns.lan}`,
      `addr add ${address} dev eth0`,
      'link set eth0 up',
    ]);
    await ipBatch(this.ns.lan, [`link set dev ${peer} master br0 up`]);
    return ns;
  }

  /** The node namespace of node N (1-based) or of an instance id. */
  nodeNs(which: number | string): string {
    const i = typeof which === 'number' ? which - 1 : this.#nodes.findIndex((n) => n.instanceId === which);
    const ns = this.ns.nodes[i];
    if (ns === undefined) throw new Error(`lab ${this.prefix} has no node ${which}`);
    return ns;
  }

  /** Every namespace this lab created. */
  get namespaces(): readonly string[] {
    return this.#record.namespaces;
  }

  /** Runs CMD in NS to completion (execa; rejects on non-zero exit unless `reject: false`). */
  exec<O extends Options = NoOptions>(ns: string, cmd: string, args: readonly string[] = [], options?: O) {
    return nsExec(ns, cmd, args, options);
  }

  /**
   * Starts CMD in NS and tracks it by PID (in memory and in the leftover record) until it exits; destroy()
   * kills it. The returned execa subprocess may be awaited; a kill by destroy() never surfaces as an
   * unhandled rejection.
   */
  spawnIn<O extends Options = NoOptions>(ns: string, cmd: string, args: readonly string[] = [], options?: O) {
    if (this.#destroyed) throw new Error(`lab ${this.prefix} is destroyed`);
    const argv = ['ip', 'netns', 'exec', ns, cmd, ...args];
    const sub = nsExec(ns, cmd, args, options);
    sub.catch(() => undefined);
    const pid = sub.pid;
    if (pid === undefined) return sub;
    let rec: ReturnType<typeof recordProcess>;
    try {
      rec = recordProcess(pid, argv);
    } catch {
      return sub; // already exited
    }
    this.#children.add(pid);
    this.#record.procs.push(rec);
    writeLabRecord(this.#record, this.#leftoverDir);
    const forget = () => {
      this.#children.delete(pid);
      this.#record.procs = this.#record.procs.filter((p) => p !== rec);
      if (!this.#destroyed) writeLabRecord(this.#record, this.#leftoverDir);
    };
    sub.then(forget, forget);
    return sub;
  }

  /** PIDs of the processes this lab started that are still running. */
  get pids(): number[] {
    return [...this.#children];
  }

  /** Links in NS (`ip -d -json link`). */
  linksIn(ns: string): Promise<IpLink[]> {
    return listLinks(ns, { details: true });
  }

  /** The link in NS with MAC (the veth if a VLAN/macvlan child shares it). */
  linkByMac(ns: string, mac: string): Promise<IpLink | undefined> {
    return linkByMac(ns, mac);
  }

  /** rx/tx counters per interface in NS. */
  counters(ns: string): Promise<Record<string, LinkCounters>> {
    return linkCounters(ns);
  }

  /**
   * Listening sockets inside NS for handlers in this process (see listenInNetns); closed on destroy().
   * E.g. `lab.listen(lab.ns.vpc, [{ host: LAB_ADDRS.imds, port: 80 }])` then `httpServer.listen(server)`.
   */
  async listen(ns: string, addrs: readonly ListenAddress[]): Promise<Server[]> {
    const servers = await listenInNetns(ns, addrs);
    this.#servers.push(...servers);
    return servers;
  }

  /** A tiny HTTP server in NS on HOST:PORT answering JSON `{ns, path, local, remote}`; tracked by PID. */
  async serveHttp(ns: string, host: string, port: number): Promise<HttpService> {
    const sub = this.spawnIn(ns, process.execPath, [HTTP_ECHO, host, String(port), ns]);
    await waitForOutput(sub, 'stdout', /^listening /m, `http server in ${ns}`);
    return {
      url: `http://${host}:${port}`,
      pid: sub.pid as number,
      stop: async () => {
        sub.kill('SIGTERM');
        await sub.catch(() => undefined);
      },
    };
  }

  get dhcpLeaseFile(): string {
    return join(this.tmpDir, 'dnsmasq.leases');
  }

  /** dnsmasq's current leases (empty when none were handed out or DHCP is off). */
  dhcpLeases(): DhcpLease[] {
    let text = '';
    try {
      text = readFileSync(this.dhcpLeaseFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [expires, mac, ip, hostname] = line.split(' ');
        return { expires: Number(expires), mac: mac ?? '', ip: ip ?? '', hostname: hostname ?? '*' };
      });
  }

  /** dnsmasq's log so far (`--log-dhcp`). */
  get dhcpLog(): string {
    return this.#dhcpLog;
  }

  /** Kills the lab's processes by PID, deletes exactly its namespaces, temp dir and record. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    liveLabs.delete(this);
    for (const s of this.#servers) s.close();
    await teardownRecord(this.#record, this.#leftoverDir);
  }

  /** destroy() for exit/signal handlers: SIGKILL and synchronous `ip netns delete`. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    liveLabs.delete(this);
    teardownRecordSync(this.#record, this.#leftoverDir);
  }
}
