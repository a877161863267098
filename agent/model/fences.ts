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
    case 'rhel':
      return {
        files: [networkManagerFence(lni, names), ...linkFile(lni)],
        remove: [],
        reload: ['networkmanager'],
        unmanage: names,
      };
    case 'al2':
      return { files: [...ifcfgFences(lni, names), ...udevRule(lni)], remove: [], reload: [], unmanage: [] };
    case 'other':
      return { files: [], remove: [], reload: [], unmanage: [] };
  }
}

/**
 * MACAddress= (the current MAC) rather than PermanentMACAddress=: on an ENA both are the MAC, and a VLAN child of
 * the LNI (same MAC, type vlan) is left to its own file by Type=ether.
 */
function networkdFences(lni: LniIdentity): FenceFile[] {
  return [
    {
      // Sorts before nodeadm's 70-eks-*.network and ec2-net-utils' 70-<if>/80-ec2.network: first match wins.
      path: '/etc/systemd/network/09-outposts-node-agent-lni.network',
      content: `${HEADER}\n[Match]\nMACAddress=${lni.mac}\nType=ether\n\n[Link]\nUnmanaged=yes\n`,
    },
    ...(lni.vlanName
      ? [
          {
            path: '/etc/systemd/network/09-outposts-node-agent-vlan.network',
            content: `${HEADER}\n[Match]\nName=${lni.vlanName}\n\n[Link]\nUnmanaged=yes\n`,
          },
        ]
      : []),
  ];
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

function networkManagerFence(lni: LniIdentity, names: string[]): FenceFile {
  const specs = [
    `mac:${lni.mac}`,
    ...[...names, ...(lni.vlanName ? [lni.vlanName] : [])].map((n) => `interface-name:${n}`),
  ];
  return {
    path: '/etc/NetworkManager/conf.d/90-outposts-node-agent.conf',
    content: `${HEADER}\n[device-outposts-node-agent-lni]\nmatch-device=${specs.join(',')}\nmanaged=0\n`,
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
