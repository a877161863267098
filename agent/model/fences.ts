// Pure: what keeps each distro's network managers off the LNI — files matched by MAC, claims to undo, reloads.
//
// The fence is written once the ENI exists (its MAC is known) and before it is attached, so no manager ever sees
// the LNI unfenced; after the link appears it is completed with the kernel's name. Upstream behaviour it answers:
// - AL2023, systemd-networkd 252: the first .network file in lexical order that matches a link wins, across
//   /etc, /run and /usr/lib (systemd.network(5)); `networkctl reload` makes a running networkd re-read them.
// - AL2023 EKS AMI, nodeadm's udev broker (awslabs/amazon-eks-ami 81fec2e,
//   nodeadm/cmd/nodeadm-internal/udev/broker.go, net_manager.go, boot-book/hook.go): an ENA link that appears
//   before /run/nodeadm/init exists is classed as networkd's and gets /run/systemd/network/70-eks-<ifname>.network
//   (DHCP, MTU 9001); the verdict is cached by interface name in /etc/eks/nodeadm/udev-net-manager/<instance-id>/,
//   read first on every later boot, and the boot hook then waits up to a minute for every cached
//   "io.systemd.Network" link to be "configured" and every other link to be "unmanaged". Any other cached value
//   means "leave it alone".
// - RHEL, NetworkManager 1.40/1.42 (NetworkManager.conf(5)): a later conf.d file's `unmanaged-devices=`
//   replaces an earlier one's, so the agent uses its own uniquely named [device-…] section (sections with
//   distinct names coexist; `managed` since 1.10), applied when a device appears; `mac:` matches the permanent
//   MAC, which an ENA has (= its MAC). A device that already exists is unmanaged at run time (`nmcli device set`).
// - AL2, amazon-ec2-net-utils 1.x (8dc90f3, ec2net-functions-lib should_sync_interface): its hot-plug leaves an
//   ifcfg-<kernel name> alone only if it has an unquoted `EC2SYNC=no`; its 75-persistent-net-generator.rules
//   writes `NAME="ethN"` rules into 70-persistent-net.rules, which a plain `NAME=` in a rules file sorting before
//   it cannot beat: the agent's rule uses `NAME:=` (final; udev(7)).
import type { Distro } from './types.ts';

export interface FenceFile {
  path: string;
  content: string;
  /** File mode (default 0644). */
  mode?: number;
}

/** A manager to tell about the changed files. */
export type FenceReload = 'networkd' | 'networkmanager';

export interface FencePlan {
  files: FenceFile[];
  /** Other managers' claims on the LNI to remove (nodeadm's network files), "already gone" is fine. */
  remove: string[];
  reload: FenceReload[];
  /** Links that exist now and must be unmanaged at run time (NetworkManager applies [device] sections at creation). */
  unmanage: string[];
  /** NetworkManager DHCP: the links to manage at run time and the agent's profile to load and bring up on them. */
  manage?: { ifnames: string[]; connection: { path: string; uuid: string } };
}

/**
 * The LNI's DHCP lease from the node's own network manager: its file then claims the LNI (by MAC, sorting first)
 * for an IPv4 lease only, instead of keeping it unmanaged.
 */
export interface DhcpClaim {
  client: 'networkd' | 'networkmanager';
  mtu: number;
  timeoutSeconds: number;
}

const HEADER =
  "# Written by outposts-node-agent: keeps this distro's network manager off the LNI (matched by MAC).";

/** The value the agent caches as nodeadm's verdict: anything but "io.systemd.Network" means "not networkd's". */
export const NODEADM_VERDICT = 'outposts-node-agent';
export const NODEADM_CACHE_DIR = '/etc/eks/nodeadm/udev-net-manager';

export interface LniIdentity {
  mac: string;
  instanceId: string;
  /** The name the agent gives the LNI (lni.name); undefined when it keeps the kernel's. */
  name?: string;
  /** The kernel's names for the LNI: every one seen so far, and before the attach on AL2 the predicted one. */
  kernelNames: string[];
  vlanName?: string;
  /** Set while a network manager holds the LNI's DHCP lease (addressing.mode dhcp through networkd or NM). */
  dhcp?: DhcpClaim;
}

export function fencePlan(distro: Distro, lni: LniIdentity): FencePlan {
  const names = [...new Set([lni.name, ...lni.kernelNames].filter((n): n is string => Boolean(n)))];
  switch (distro) {
    case 'al2023':
      return {
        files: [...networkdFences(lni), ...linkFile(lni), ...nodeadmVerdicts(lni.instanceId, names)],
        remove: names.map((n) => `/run/systemd/network/70-eks-${n}.network`),
        reload: ['networkd'],
        unmanage: [],
      };
    case 'rhel': {
      const profile =
        lni.dhcp?.client === 'networkmanager' ? networkManagerProfile(lni, lni.dhcp) : undefined;
      return {
        files: [
          networkManagerFence(lni, names, Boolean(profile)),
          ...(profile ? [profile.file] : []),
          ...linkFile(lni),
        ],
        remove: [],
        reload: ['networkmanager'],
        unmanage: profile ? [] : names,
        ...(profile
          ? { manage: { ifnames: names, connection: { path: profile.file.path, uuid: profile.uuid } } }
          : {}),
      };
    }
    case 'al2':
      return { files: [...ifcfgFences(lni, names), ...udevRule(lni)], remove: [], reload: [], unmanage: [] };
    case 'other':
      return { files: [], remove: [], reload: [], unmanage: [] };
  }
}

/**
 * MACAddress= (the current MAC) rather than PermanentMACAddress=: on an ENA both are the MAC, and a VLAN child of
 * the LNI (same MAC, type vlan) is left to its own file by Type=ether. With a DHCP claim, the file of the interface
 * that carries the address (the VLAN's when there is one) asks networkd for an IPv4 lease and nothing else.
 */
function networkdFences(lni: LniIdentity): FenceFile[] {
  const claim = lni.dhcp?.client === 'networkd' ? lni.dhcp : undefined;
  const body = (onThis: boolean) => (claim && onThis ? networkdDhcp(claim) : '[Link]\nUnmanaged=yes\n');
  return [
    {
      // Sorts before nodeadm's 70-eks-*.network and ec2-net-utils' 70-<if>/80-ec2.network: first match wins.
      path: '/etc/systemd/network/09-outposts-node-agent-lni.network',
      content: `${HEADER}\n[Match]\nMACAddress=${lni.mac}\nType=ether\n\n${body(!lni.vlanName)}`,
    },
    ...(lni.vlanName
      ? [
          {
            path: '/etc/systemd/network/09-outposts-node-agent-vlan.network',
            content: `${HEADER}\n[Match]\nName=${lni.vlanName}\n\n${body(true)}`,
          },
        ]
      : []),
  ];
}

/**
 * systemd.network(5), systemd 252: DHCPv4 only (no IPv6 link-local, no RA), and nothing taken from the lease but
 * the address: no routes or gateway (the agent's table holds them), DNS, NTP, hostname, domains or MTU; no hostname
 * sent; the client id is the MAC. No Address=: the LNI's VPC private IP is never configured. The MTU is the agent's.
 * KeepConfiguration=no: when the claim goes (release), networkd releases the lease and removes the address.
 */
function networkdDhcp(claim: DhcpClaim): string {
  return `[Link]
MTUBytes=${claim.mtu}
RequiredForOnline=no

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
LLMNR=no
MulticastDNS=no
KeepConfiguration=no

[DHCPv4]
ClientIdentifier=mac
SendHostname=no
UseRoutes=no
UseGateway=no
UseDNS=no
UseNTP=no
UseSIP=no
UseHostname=no
UseDomains=no
UseMTU=no
UseTimezone=no
`;
}

/** A stable UUID for the agent's NetworkManager profile: version 4 layout, the MAC as its last group. */
export function profileUuid(mac: string): string {
  return `0a5e7d1c-0d2e-4a9e-8f6d-${mac.replace(/:/g, '').toLowerCase()}`;
}

/**
 * nm-settings-keyfile(5), NetworkManager 1.42: an ethernet profile bound to the LNI's MAC (`ethernet.mac-address`
 * matches the device's MAC), IPv4 by DHCP that never becomes the default route and ignores the lease's routes and
 * DNS, IPv6 off, the agent's MTU. Root-owned 0600 or NetworkManager ignores it.
 */
function networkManagerProfile(lni: LniIdentity, claim: DhcpClaim): { file: FenceFile; uuid: string } {
  const uuid = profileUuid(lni.mac);
  return {
    uuid,
    file: {
      path: '/etc/NetworkManager/system-connections/outposts-node-agent-lni.nmconnection',
      mode: 0o600,
      content: `${HEADER}
[connection]
id=outposts-node-agent-lni
uuid=${uuid}
type=ethernet
autoconnect=true

[ethernet]
mac-address=${lni.mac.toUpperCase()}
mtu=${claim.mtu}

[ipv4]
method=auto
never-default=true
ignore-auto-routes=true
ignore-auto-dns=true
dhcp-client-id=mac
dhcp-send-hostname=false
dhcp-timeout=${claim.timeoutSeconds}

[ipv6]
method=disabled
`,
    },
  };
}

function nodeadmVerdicts(instanceId: string, names: string[]): FenceFile[] {
  return names.map((n) => ({ path: `${NODEADM_CACHE_DIR}/${instanceId}/${n}`, content: NODEADM_VERDICT }));
}

/** systemd-udevd (AL2023, RHEL 8/9): an empty NamePolicy makes Name= win; sorts before 99-default.link. */
function linkFile(lni: LniIdentity): FenceFile[] {
  if (!lni.name) return [];
  return [
    {
      path: '/etc/systemd/network/10-outposts-node-agent-lni.link',
      content: `${HEADER}\n[Match]\nMACAddress=${lni.mac}\n\n[Link]\nNamePolicy=\nName=${lni.name}\n`,
    },
  ];
}

/** With the agent's DHCP profile, the section keeps the LNI managed (by that profile) instead of unmanaged. */
function networkManagerFence(lni: LniIdentity, names: string[], managed = false): FenceFile {
  const specs = [
    `mac:${lni.mac}`,
    ...[...names, ...(lni.vlanName ? [lni.vlanName] : [])].map((n) => `interface-name:${n}`),
  ];
  return {
    path: '/etc/NetworkManager/conf.d/90-outposts-node-agent.conf',
    content: `${HEADER}\n[device-outposts-node-agent-lni]\nmatch-device=${specs.join(',')}\nmanaged=${managed ? 1 : 0}\n`,
  };
}

/** amazon-ec2-net-utils 1.x leaves an ifcfg with EC2SYNC=no alone; ONBOOT=no keeps network-scripts off it. */
function ifcfgFences(lni: LniIdentity, names: string[]): FenceFile[] {
  return names.map((n) => ({
    path: `/etc/sysconfig/network-scripts/ifcfg-${n}`,
    content: `${HEADER}\nDEVICE=${n}\nHWADDR=${lni.mac}\nBOOTPROTO=none\nONBOOT=no\nEC2SYNC=no\nNM_CONTROLLED=no\n`,
  }));
}

/** AL2's udev predates .link Name= handling for hot-plugged ENIs: a rules file by MAC, final with `:=`. */
function udevRule(lni: LniIdentity): FenceFile[] {
  if (!lni.name) return [];
  return [
    {
      path: '/etc/udev/rules.d/70-outposts-node-agent-lni.rules',
      content: `${HEADER}\nSUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${lni.mac}", NAME:="${lni.name}"\n`,
    },
  ];
}

/** AL2 names NICs ethN, the lowest N free when the NIC appears (the kernel's dev_alloc_name "eth%d"). */
export function predictKernelName(existing: readonly string[]): string {
  let n = 0;
  while (existing.includes(`eth${n}`)) n++;
  return `eth${n}`;
}
