// A lab node's own network manager, the real program: systemd-networkd 252 or NetworkManager, each with its own D-Bus.
//
// Both run inside the node's network namespace, in a private mount namespace held by a sleeping process:
// /sys read-only (neither then waits for udev: systemd src/shared/udev-util.c udev_available(); NetworkManager
// src/libnm-platform/nm-linux-platform.c use_udev), a private /run, and the node's host root mounted where each
// reads its configuration, so what the agent writes under paths.hostRoot is what the manager reads. The system
// bus socket sits in the node's directory; the agent reaches it through DBUS_SYSTEM_BUS_ADDRESS (networkctl and
// nmcli read it). Everything started here runs in the node's namespace and is killed by PID at teardown.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabNetwork } from '../net/index.ts';

export interface NodeOsNode {
  ns: string;
  dir: string;
  hostRoot: string;
  primaryIp: string;
  env: Record<string, string>;
}

export interface NodeOs {
  /** The process holding the private mount namespace (nsenter -t it -m). */
  holderPid: number;
  /** Runs a command inside the manager's mount namespace (networkctl, nmcli, NetworkManager --print-config). */
  exec(cmd: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** The manager's own log (stderr) so far. */
  log(): string;
  /** Stops the manager (SIGTERM, as systemd would at shutdown) and its bus; the holder stays until teardown. */
  stop(): Promise<void>;
}

const DBUS_SYSTEM_CONF = '/usr/share/dbus-1/system.conf';

/** A private system bus: no service activation (nothing else gets started), runs as root, socket in `dir`. */
async function dbusConfig(dir: string): Promise<string> {
  const base = await readFile(DBUS_SYSTEM_CONF, 'utf8');
  const conf = base
    .replace(/<user>[^<]*<\/user>/, '')
    .replace('<fork/>', '')
    .replace(/<syslog\/>/, '')
    .replace(/<pidfile>[^<]*<\/pidfile>/, '')
    .replace(/<listen>[^<]*<\/listen>/, `<listen>unix:path=${dir}/system_bus_socket</listen>`)
    .replace('<standard_system_servicedirs/>', `<servicedir>${dir}/services</servicedir>`)
    // Relative include paths would resolve next to this copy: the services' bus policies live with the real one.
    .replace('<includedir>system.d</includedir>', '<includedir>/usr/share/dbus-1/system.d</includedir>');
  const path = join(dir, 'system.conf');
  await mkdir(join(dir, 'services'), { recursive: true });
  await writeFile(path, conf);
  return path;
}

export interface StartOptions {
  /** Mounts inside the private namespace: [source on the host, target]. */
  binds: [string, string][];
  /** Directories created under the private /run. */
  runDirs: string[];
  /** The manager's argv and extra environment. */
  argv: string[];
  env?: Record<string, string>;
  /** Resolves when the manager is ready (polled). */
  ready: (os: NodeOs) => Promise<boolean>;
}

export async function startNodeOs(net: LabNetwork, node: NodeOsNode, opts: StartOptions): Promise<NodeOs> {
  const busDir = join(node.dir, 'os', 'dbus');
  await mkdir(busDir, { recursive: true });
  const busConf = await dbusConfig(busDir);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -e',
    'mount -o remount,bind,ro /sys',
    ...opts.binds
      .filter(([, target]) => !target.startsWith('/run/'))
      .map(([src, target]) => `mount --bind ${q(src)} ${q(target)}`),
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    ...['/run/dbus', ...opts.runDirs].map((d) => `mkdir -p ${q(d)}`),
    `mount --bind ${q(busDir)} /run/dbus`,
    ...opts.binds
      .filter(([, target]) => target.startsWith('/run/'))
      .map(([src, target]) => `mkdir -p ${q(target)} && mount --bind ${q(src)} ${q(target)}`),
    'echo ready',
    'exec sleep 2147483647',
  ].join('\n');
  const holder = net.spawnIn(node.ns, 'unshare', ['-m', '--propagation', 'private', 'sh', '-c', script]);
  let seen = '';
  holder.stdout?.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  holder.stderr?.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  for (let i = 0; i < 100 && !seen.includes('ready'); i++) await sleep(50);
  if (!seen.includes('ready') || holder.pid === undefined)
    throw new Error(`node OS holder did not start:\n${seen}`);
  const holderPid = holder.pid;
  const inNs = (cmd: string, args: string[]) => ['-t', String(holderPid), '-m', '--', cmd, ...args];
  const bus = net.spawnIn(
    node.ns,
    'nsenter',
    inNs('dbus-daemon', [`--config-file=${busConf}`, '--nofork', '--nopidfile']),
  );
  // NetworkManager gives up at once without a bus (networkd waits for one): start the manager once it listens.
  for (let i = 0; i < 200 && !(await stat(join(busDir, 'system_bus_socket')).catch(() => undefined)); i++)
    await sleep(25);
  let managerLog = '';
  const manager = net.spawnIn(
    node.ns,
    'nsenter',
    inNs('env', [...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...opts.argv]),
  );
  manager.stderr?.on('data', (c: Buffer) => {
    managerLog += c.toString();
  });
  manager.stdout?.on('data', (c: Buffer) => {
    managerLog += c.toString();
  });
  node.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${busDir}/system_bus_socket`;
  const os: NodeOs = {
    holderPid,
    exec: async (cmd, args) => {
      const r = await net.exec(node.ns, 'nsenter', inNs(cmd, args), { reject: false });
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    log: () => managerLog,
    stop: async () => {
      manager.kill('SIGTERM');
      await manager.catch(() => undefined);
      bus.kill('SIGTERM');
      await bus.catch(() => undefined);
    },
  };
  for (let i = 0; i < 200; i++) {
    if (manager.exitCode !== null && manager.exitCode !== undefined)
      throw new Error(`${opts.argv[0]} exited ${manager.exitCode}:\n${managerLog}`);
    if (await opts.ready(os)) return os;
    await sleep(50);
  }
  throw new Error(`${opts.argv[0]} not ready after 10 s:\n${managerLog}`);
}

/** AL2023's networkd.conf.d from the EKS AMI (amazon-eks-ami 81fec2e templates/al2023/runtime/rootfs/etc/systemd/networkd.conf.d/80-release.conf). */
const EKS_NETWORKD_CONF = '[Network]\nManageForeignRoutes=no\nManageForeignRoutingPolicyRules=no\n';

/**
 * amazon-ec2-net-utils v2 (54e2ce9) systemd/network/80-ec2.network, the catch-all every AL2023 ENA gets: DHCP and
 * MTU 9001. Its `[Match] Driver=ena ixgbevf vif` reads `Type=ether` here, because the lab's NICs are veths.
 */
export const EC2_CATCH_ALL_NETWORK = `[Match]
Type=ether

[Link]
MTUBytes=9001

[Network]
DHCP=yes
IPv6DuplicateAddressDetection=0
LLMNR=no
DNSDefaultRoute=yes

[DHCPv4]
UseHostname=no
UseDNS=yes
UseNTP=yes
UseDomains=yes
`;

/**
 * Starts Debian's systemd-networkd (systemd 252, as AL2023 runs) for the node: /etc/systemd is the node's host root
 * one (the agent's files, networkd.conf.d), /run/systemd too (nodeadm's 70-eks files, netif state and leases), and
 * /usr/lib/systemd/network holds the distro's files: the catch-all above and the primary interface's own
 * configuration (static here: the lab addresses eth0 itself, where EC2's DHCP would on a real node).
 */
export async function startNetworkd(net: LabNetwork, node: NodeOsNode): Promise<NodeOs> {
  const usrLib = join(node.dir, 'os', 'usr-lib-network');
  await mkdir(usrLib, { recursive: true });
  await writeFile(
    join(usrLib, '10-lab-primary.network'),
    `[Match]\nName=eth0\n\n[Network]\nKeepConfiguration=yes\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
  );
  await writeFile(join(usrLib, '80-ec2.network'), EC2_CATCH_ALL_NETWORK);
  for (const dir of ['etc/systemd/network', 'etc/systemd/networkd.conf.d', 'run/systemd/network'])
    await mkdir(join(node.hostRoot, dir), { recursive: true });
  await writeFile(join(node.hostRoot, 'etc/systemd/networkd.conf.d/80-release.conf'), EKS_NETWORKD_CONF);
  return startNodeOs(net, node, {
    binds: [
      [join(node.hostRoot, 'etc/systemd'), '/etc/systemd'],
      [usrLib, '/usr/lib/systemd/network'],
      [join(node.hostRoot, 'run/systemd'), '/run/systemd'],
    ],
    runDirs: [],
    argv: ['/lib/systemd/systemd-networkd'],
    env: { SYSTEMD_LOG_LEVEL: 'debug', SYSTEMD_LOG_TARGET: 'console' },
    // --json asks networkd itself (Describe), so it answers only once networkd owns its bus name.
    ready: async (os) => (await os.exec('networkctl', ['list', '--json=short'])).exitCode === 0,
  });
}

export interface NetworkctlLink {
  Index: number;
  Name: string;
  AdministrativeState: string;
  OperationalState: string;
}

/** `networkctl list --json=short` (systemd 252), as nodeadm's boot hook reads it. */
export async function networkctlList(os: NodeOs): Promise<NetworkctlLink[]> {
  const r = await os.exec('networkctl', ['list', '--json=short']);
  if (r.exitCode !== 0) throw new Error(`networkctl list: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { Interfaces: NetworkctlLink[] }).Interfaces;
}

/**
 * RHEL's NetworkManager.conf as the package ships it (plugins=keyfile on RHEL 9), plus what a lab node needs: no
 * polkit, no DNS or hostname writes. Nothing sets no-auto-default, so every ethernet device without a profile gets
 * NetworkManager's automatic DHCP connection ("Wired connection N"): the distro's catch-all.
 */
const RHEL_NM_CONF =
  '[main]\nplugins=keyfile\nauth-polkit=false\ndns=none\nrc-manager=unmanaged\nhostname-mode=none\n';
/** The primary's own configuration stands outside the test: the lab addresses eth0 itself (no EC2 DHCP here). */
const LAB_PRIMARY_NM_CONF = '[device-lab-primary]\nmatch-device=interface-name:eth0\nmanaged=0\n';

/**
 * Starts Debian's NetworkManager 1.42 (RHEL 9 ships 1.42) for the node: /etc/NetworkManager is the node's host root
 * one (NetworkManager.conf, conf.d, system-connections), /usr/lib/NetworkManager/conf.d holds only the lab's primary
 * exclusion, /var/lib and /run are private.
 */
export async function startNetworkManager(net: LabNetwork, node: NodeOsNode): Promise<NodeOs> {
  const etc = join(node.hostRoot, 'etc/NetworkManager');
  const lib = join(node.dir, 'os', 'usr-lib-nm-conf.d');
  const varLib = join(node.dir, 'os', 'var-lib-nm');
  for (const dir of [join(etc, 'conf.d'), join(etc, 'system-connections'), lib, varLib])
    await mkdir(dir, { recursive: true });
  await writeFile(join(etc, 'NetworkManager.conf'), RHEL_NM_CONF);
  await writeFile(join(lib, '00-lab-primary.conf'), LAB_PRIMARY_NM_CONF);
  return startNodeOs(net, node, {
    binds: [
      [etc, '/etc/NetworkManager'],
      [lib, '/usr/lib/NetworkManager/conf.d'],
      [varLib, '/var/lib/NetworkManager'],
    ],
    runDirs: ['/run/NetworkManager'],
    argv: ['NetworkManager', '--debug'],
    ready: async (os) => /running/.test((await os.exec('nmcli', ['-t', '-f', 'RUNNING', 'general'])).stdout),
  });
}

/** `nmcli -t -f DEVICE,STATE device`: each device's state (connected, unmanaged, …). */
export async function nmDeviceStates(os: NodeOs): Promise<Record<string, string>> {
  const r = await os.exec('nmcli', ['-t', '-f', 'DEVICE,STATE', 'device']);
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':') as [string, string]),
  );
}
