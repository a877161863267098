// Stand-in for the EKS AL2023 AMI's udev-net-manager (nodeadm's udev broker) and nodeadm's boot hook.
//
// nodeadm is a Go binary that cannot run here; these follow awslabs/amazon-eks-ami at
// 81fec2e895854f599974fe4d3d72f61c0a9aaffa rule by rule. The lab calls `udevNetManagerAdd` when it hot-plugs a NIC
// into a node, as the AMI's udev rule starts the unit for every new ENA; `bootHook` is what runs at every boot before
// nodeadm-config. Files live under the node's host root; networkctl is the real one, against the node's networkd.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_MARKER } from './nodeadm.ts';

/** nodeadm/cmd/nodeadm-internal/udev/net_manager.go: the manager names (ManagerSystemd matches ID_NET_MANAGED_BY). */
export const MANAGER_SYSTEMD = 'io.systemd.Network';
export const MANAGER_CNI = 'cni';
/** broker.go NetworkManagerCacheDir. */
export const CACHE_DIR = '/etc/eks/nodeadm/udev-net-manager';

export interface BrokerHost {
  root: string;
  instanceId: string;
  /** IMDS `mac` (the primary ENI's). */
  primaryMac: string;
  /** IMDS network/interfaces/macs/<mac>/device-number and local-ipv4s, by MAC. */
  deviceNumber(mac: string): number | undefined;
  localIpv4(mac: string): string | undefined;
  /** /sys/class/net/<if>/address. */
  macOf(ifname: string): Promise<string | undefined>;
  networkctl(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

const at = (root: string, path: string) => join(root, path);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * broker.go ManagerFor: the cached verdict for the interface *name* if there is one (any value, trimmed, not
 * checked); else determineManager — no run-phase marker yet: systemd-networkd's, marker present: the CNI's — which
 * is then cached (a failed cache write only logs).
 */
export async function managerFor(host: BrokerHost, iface: string): Promise<string> {
  const cached = at(host.root, `${CACHE_DIR}/${host.instanceId}/${iface}`);
  const value = await readFile(cached, 'utf8').catch(() => undefined);
  if (value !== undefined) return value.trim();
  const manager = (await exists(at(host.root, RUN_MARKER))) ? MANAGER_CNI : MANAGER_SYSTEMD;
  await mkdir(dirname(cached), { recursive: true, mode: 0o755 });
  await writeFile(cached, manager, { mode: 0o644 });
  return manager;
}

/**
 * eks-managed.network.tpl rendered as systemd.go does: metric 512 + 100 × card + device index; a secondary ENI also
 * gets table 10000 + 100 × card + index and, with an IPv4 address, a rule at priority 32765. The lab matches by
 * MACAddress= where the AMI writes PermanentMACAddress=: a veth has no permanent address, an ENA's is its MAC.
 */
export function eksNetworkFile(opts: { mac: string; metric: number; tableId?: number; ip?: string }): string {
  const lines = [
    '[Match]',
    `MACAddress=${opts.mac}`,
    '',
    '[Link]',
    'MTUBytes=9001',
    '',
    '[Network]',
    'DHCP=yes',
    'IPv6DuplicateAddressDetection=0',
    'LLMNR=no',
    'DNSDefaultRoute=yes',
    '',
    '[DHCPv4]',
    'UseHostname=no',
    'UseDNS=yes',
    'UseNTP=yes',
    'UseDomains=yes',
    '',
    '[DHCPv6]',
    'UseHostname=no',
    'UseDNS=yes',
    'UseNTP=yes',
    'WithoutRA=solicit',
    '',
    '[DHCPv4]',
    `RouteMetric=${opts.metric}`,
    'UseRoutes=true',
    'UseGateway=true',
    '',
    '[IPv6AcceptRA]',
    `RouteMetric=${opts.metric}`,
    'UseGateway=true',
  ];
  if (opts.tableId !== undefined) {
    lines.push(
      '',
      '[Route]',
      `Table=${opts.tableId}`,
      'Gateway=_ipv6ra',
      '',
      '[Route]',
      `Table=${opts.tableId}`,
      'Gateway=_dhcp4',
    );
    if (opts.ip)
      lines.push('', '[RoutingPolicyRule]', `From=${opts.ip}`, `Table=${opts.tableId}`, 'Priority=32765');
  }
  return `${lines.join('\n')}\n`;
}

export const eksNetworkPath = (iface: string) => `/run/systemd/network/70-eks-${iface}.network`;

/**
 * `udev-net-manager@<if>.service`: `nodeadm-internal udev-net-manager --action add --interface %i`
 * (net_manager.go addAction), then ExecStartPost=`networkctl reload` whatever the verdict. Only a systemd verdict
 * writes the network file; nothing is ever deleted here (the remove action is never wired to a udev event).
 */
export async function udevNetManagerAdd(host: BrokerHost, iface: string): Promise<string> {
  const mac = (await host.macOf(iface))?.trim().toLowerCase();
  if (!mac) throw new Error(`udev-net-manager: no MAC for ${iface}`);
  const manager = await managerFor(host, iface);
  if (manager === MANAGER_SYSTEMD) {
    const deviceIndex = host.deviceNumber(mac) ?? 0;
    const card = 0;
    const primary = mac === host.primaryMac.toLowerCase();
    const file = eksNetworkFile({
      mac,
      metric: 512 + 100 * card + deviceIndex,
      tableId: primary ? undefined : 10000 + 100 * card + deviceIndex,
      ip: primary ? undefined : host.localIpv4(mac),
    });
    const path = at(host.root, eksNetworkPath(iface));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file, { mode: 0o644 });
  }
  await host.networkctl(['reload']);
  return manager;
}

export interface BootHookResult {
  ok: boolean;
  waitedMs: number;
  /** The interfaces it required to be "configured" (cached systemd verdicts + the primary). */
  required: string[];
  error?: string;
  /** Each link's administrative state at the last look. */
  seen?: Record<string, string>;
}

/**
 * `nodeadm-internal boot-hook` (boot-book/hook.go Run → system/networking.go EnsureEKSNetworkConfiguration): every
 * interface cached as systemd-networkd's, plus the primary, must be "configured" and every other link in
 * `networkctl list` "unmanaged"; polled every 50 ms for up to a minute (`timeoutMs` here), then "context deadline
 * exceeded".
 */
export async function bootHook(
  host: BrokerHost & { primaryName: string },
  timeoutMs = 60_000,
): Promise<BootHookResult> {
  const dir = at(host.root, `${CACHE_DIR}/${host.instanceId}`);
  const names = await readdir(dir).catch(() => [] as string[]);
  const managed: string[] = [];
  for (const n of names)
    if ((await readFile(join(dir, n), 'utf8')).trim() === MANAGER_SYSTEMD) managed.push(n);
  const required = [...new Set([...managed, host.primaryName])];
  const started = Date.now();
  for (;;) {
    const r = await host.networkctl(['list', '--json=pretty']);
    if (r.exitCode !== 0) return { ok: false, waitedMs: Date.now() - started, required, error: r.stderr };
    const links = (JSON.parse(r.stdout) as { Interfaces: { Name: string; AdministrativeState: string }[] })
      .Interfaces;
    const state = new Map(links.map((l) => [l.Name, l.AdministrativeState]));
    const ok =
      required.every((n) => state.get(n) === 'configured') &&
      links.every((l) => required.includes(l.Name) || l.AdministrativeState === 'unmanaged');
    if (ok) return { ok: true, waitedMs: Date.now() - started, required, seen: Object.fromEntries(state) };
    if (Date.now() - started > timeoutMs)
      return {
        ok: false,
        waitedMs: Date.now() - started,
        required,
        error: 'context deadline exceeded',
        seen: Object.fromEntries(state),
      };
    await sleep(50);
  }
}

/** A reboot wipes /run (tmpfs): the marker and the broker's network files go; /etc (the cache) stays. */
export async function wipeRun(root: string): Promise<void> {
  for (const path of [RUN_MARKER, '/run/systemd/network'])
    await rm(at(root, path), { recursive: true, force: true });
  await mkdir(at(root, '/run/systemd/network'), { recursive: true });
}
