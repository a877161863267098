// Stand-in for AL2's udev and amazon-ec2-net-utils 1.x for a hot-plugged ENI: naming, persistent rules, ec2ifup.
//
// amazon-ec2-net-utils is upstream shell the project cannot carry; this follows amazonlinux/amazon-ec2-net-utils
// branch 1.x (tag 1.7.3, 8dc90f36d22ae0b89e86f7c7190501bbe808afcc) rule by rule, with udev(7)'s rule semantics:
// - rules files from /etc/udev/rules.d and /usr/lib/udev/rules.d are processed together in file-name order; a
//   plain NAME= assignment can be overwritten by a later rule, NAME:= is final. The node's /etc/udev/rules.d files
//   are read (only lines matching SUBSYSTEM/ACTION/ATTR{address}/KERNEL/DRIVERS and setting NAME are understood);
//   net-utils' own two files sit in /usr/lib and are modelled here:
// - 53-ec2-network-interfaces.rules (.systemd variant, line 7): for KERNEL=="eth*", not virtual, on add:
//   RUN+="systemctl start --no-block ec2net-ifup@$env{INTERFACE}" — INTERFACE as the rules see it, the kernel name;
// - 75-persistent-net-generator.rules + write_net_rules: unless an earlier rule set NAME, for eth* but eth0, append
//   `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="<mac>", KERNEL=="eth*", NAME="<kernel name>"`
//   to /etc/udev/rules.d/70-persistent-net.rules (no de-duplication);
// - ec2ifup (ec2net-ifup@.service) → ec2net-functions: HWADDR from /sys/class/net/$INTERFACE/address, exit when
//   empty; exit when ifcfg-$INTERFACE is non-empty and has an unquoted `EC2SYNC=no` (ec2net-functions-lib
//   should_sync_interface); else rewrite_primary writes ifcfg-$INTERFACE (BOOTPROTO=dhcp, ONBOOT=yes, …) and
//   activate_primary runs `ifup $INTERFACE`, i.e. initscripts start dhclient on it (the lab runs Debian's
//   isc-dhcp-client, the same ISC client AL2 runs).
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PERSISTENT_RULES = 'etc/udev/rules.d/70-persistent-net.rules';
const GENERATOR = '75-persistent-net-generator.rules';

interface RuleLine {
  matches: { key: string; value: string }[];
  name: string;
  final: boolean;
}

function parseRuleLine(line: string): RuleLine | undefined {
  const parts = line.split(',').map((p) => p.trim());
  const matches: RuleLine['matches'] = [];
  let name: string | undefined;
  let final = false;
  for (const part of parts) {
    const m = /^([A-Z]+(?:\{[a-z_]+\})?)\s*(==|:=|=)\s*"([^"]*)"$/.exec(part);
    if (!m) return undefined;
    const [, key = '', op, value = ''] = m;
    if (op === '==') matches.push({ key, value });
    else if (key === 'NAME') {
      name = value;
      final = op === ':=';
    } else return undefined;
  }
  return name === undefined ? undefined : { matches, name, final };
}

const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^$()|[\]\\{}]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

function lineApplies(rule: RuleLine, dev: { mac: string; kernelName: string }): boolean {
  return rule.matches.every(({ key, value }) => {
    if (key === 'SUBSYSTEM') return value === 'net';
    if (key === 'ACTION') return value === 'add';
    if (key === 'ATTR{address}') return value.toLowerCase() === dev.mac.toLowerCase();
    if (key === 'KERNEL') return globMatch(value, dev.kernelName);
    if (key === 'DRIVERS') return true;
    return false;
  });
}

/**
 * The name udev gives a new ENI on an AL2 node with net-utils 1.x (running the persistent-net generator's write
 * as it goes). Returns the final name.
 */
export function al2UdevName(root: string, mac: string, kernelName: string): string {
  const dir = join(root, 'etc/udev/rules.d');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.rules'));
  } catch {
    files = [];
  }
  let name: string | undefined;
  let final = false;
  for (const file of [...new Set([...files, GENERATOR])].sort()) {
    if (file === GENERATOR) {
      if (name === undefined && /^eth/.test(kernelName) && kernelName !== 'eth0') {
        mkdirSync(dir, { recursive: true });
        appendFileSync(
          join(root, PERSISTENT_RULES),
          `# elastic network interface\nSUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="${mac}", KERNEL=="eth*", NAME="${kernelName}"\n`,
        );
      }
      continue;
    }
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const rule = raw.trim().startsWith('#') ? undefined : parseRuleLine(raw.trim());
      if (!rule || !lineApplies(rule, { mac, kernelName }) || final) continue;
      name = rule.name;
      final = rule.final;
    }
  }
  return name ?? kernelName;
}

export interface Ec2ifupHost {
  root: string;
  macOf(ifname: string): Promise<string | undefined>;
  /** initscripts' `ifup` for BOOTPROTO=dhcp: starts dhclient on the interface. */
  startDhclient(ifname: string): Promise<void>;
}

/** should_sync_interface: false (leave it alone) only for a non-empty ifcfg with an unquoted EC2SYNC=no. */
export function shouldSync(ifcfg: string | undefined): boolean {
  if (!ifcfg) return true;
  return !ifcfg.split('\n').some((l) => /^[\t ]*EC2SYNC=no([\t #]|$)/.test(l));
}

/** `ec2ifup <INTERFACE>` as ec2net-ifup@ runs it: what it did. */
export async function ec2ifup(
  host: Ec2ifupHost,
  iface: string,
): Promise<'no-device' | 'left-alone' | 'configured'> {
  if (iface === 'eth0') return 'left-alone';
  const hwaddr = await host.macOf(iface);
  if (!hwaddr) return 'no-device';
  const path = join(host.root, `etc/sysconfig/network-scripts/ifcfg-${iface}`);
  if (!shouldSync(await readFile(path, 'utf8').catch(() => undefined))) return 'left-alone';
  await mkdir(join(host.root, 'etc/sysconfig/network-scripts'), { recursive: true });
  await writeFile(
    path,
    [
      `DEVICE=${iface}`,
      'BOOTPROTO=dhcp',
      'ONBOOT=yes',
      'TYPE=Ethernet',
      'USERCTL=yes',
      'PEERDNS=no',
      'IPV6INIT=yes',
      'DHCPV6C=yes',
      'DHCPV6C_OPTIONS=-nw',
      'PERSISTENT_DHCLIENT=yes',
      `HWADDR=${hwaddr}`,
      'DEFROUTE=no',
      'EC2SYNC=yes',
      'EC2PROVISIONPFXIPS=',
      'MAINROUTETABLE=yes',
      '',
    ].join('\n'),
  );
  await host.startDhclient(iface);
  return 'configured';
}
