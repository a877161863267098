// Pure: the files that keep each distro's network managers off the LNI, matched by MAC, across reboots.
import type { Distro } from './types.ts';

export interface FenceFile {
  path: string;
  content: string;
}

const HEADER =
  "# Written by outposts-node-agent: keeps this distro's network manager off the LNI (matched by MAC).";

export interface LniIdentity {
  name: string;
  mac: string;
  vlanName?: string;
  /** The name is the agent's (lni.name), not the kernel's: make it survive a reboot. */
  persistName?: boolean;
}

/** The fences plus, when the agent names the LNI, what gives it that name again at boot. */
export function fenceFiles(distro: Distro, lni: LniIdentity): FenceFile[] {
  return [...networkManagerFences(distro, lni), ...(lni.persistName ? nameFiles(distro, lni) : [])];
}

function nameFiles(distro: Distro, lni: LniIdentity): FenceFile[] {
  if (distro === 'other') return [];
  if (distro === 'al2')
    // AL2's udev predates .link Name= handling for hot-plugged ENIs: a rules file by MAC is the AL2 way.
    return [
      {
        path: '/etc/udev/rules.d/70-outposts-node-agent-lni.rules',
        content: `${HEADER}
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${lni.mac}", NAME="${lni.name}"
`,
      },
    ];
  // systemd-udevd (AL2023, RHEL 8/9): an empty NamePolicy makes Name= win; sorts before 99-default.link.
  return [
    {
      path: '/etc/systemd/network/10-outposts-node-agent-lni.link',
      content: `${HEADER}
[Match]
MACAddress=${lni.mac}

[Link]
NamePolicy=
Name=${lni.name}
`,
    },
  ];
}

function networkManagerFences(distro: Distro, lni: LniIdentity): FenceFile[] {
  switch (distro) {
    case 'al2':
      // amazon-ec2-net-utils leaves an ifcfg with EC2SYNC=no alone; ONBOOT=no keeps network-scripts off it.
      return [
        {
          path: `/etc/sysconfig/network-scripts/ifcfg-${lni.name}`,
          content: `${HEADER}\nDEVICE=${lni.name}\nHWADDR=${lni.mac}\nBOOTPROTO=none\nONBOOT=no\nEC2SYNC=no\nNM_CONTROLLED=no\n`,
        },
      ];
    case 'al2023':
      // Sorts before nodeadm's 70-eks-*.network and ec2-net-utils' 80-ec2.network: first match wins.
      return [
        {
          path: '/etc/systemd/network/09-outposts-node-agent-lni.network',
          content: `${HEADER}\n[Match]\nPermanentMACAddress=${lni.mac}\n\n[Link]\nUnmanaged=yes\n`,
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
    case 'rhel':
      return [
        {
          path: '/etc/NetworkManager/conf.d/90-outposts-node-agent.conf',
          content: `${HEADER}\n[keyfile]\nunmanaged-devices=mac:${lni.mac}${lni.vlanName ? `;interface-name:${lni.vlanName}` : ''}\n`,
        },
      ];
    case 'other':
      return [];
  }
}
