// Pure: which DHCP client gives the LNI its lease, by what the node runs (not by distro name alone).
import type { Distro } from './types.ts';

export type DhcpClientName = 'dhclient' | 'networkd' | 'networkmanager';

/** What runs or is installed on the node. */
export interface DhcpClientsAvailable {
  /** systemd-networkd runs in this network namespace (AL2023). */
  networkd: boolean;
  /** NetworkManager runs in this network namespace (RHEL 8/9). */
  networkManager: boolean;
  /** ISC dhclient is installed (AL2; end-of-life upstream, absent on AL2023). */
  dhclient: boolean;
}

/** The order `auto` tries them: the distro's own DHCP first, then whatever else the node has. */
const PREFERENCE: Record<Distro, DhcpClientName[]> = {
  al2023: ['networkd', 'networkmanager', 'dhclient'],
  rhel: ['networkmanager', 'networkd', 'dhclient'],
  al2: ['dhclient', 'networkmanager', 'networkd'],
  other: ['networkd', 'networkmanager', 'dhclient'],
};

const has = (a: DhcpClientsAvailable, c: DhcpClientName) =>
  c === 'networkd' ? a.networkd : c === 'networkmanager' ? a.networkManager : a.dhclient;

const WHAT: Record<DhcpClientName, string> = {
  networkd: 'systemd-networkd is not running',
  networkmanager: 'NetworkManager is not running',
  dhclient: 'dhclient is not installed',
};

export type DhcpClientChoice = { client: DhcpClientName; why: string } | { problem: string; hint: string };

export function pickDhcpClient(
  configured: 'auto' | DhcpClientName,
  distro: Distro,
  available: DhcpClientsAvailable,
): DhcpClientChoice {
  if (configured !== 'auto')
    return has(available, configured)
      ? { client: configured, why: 'addressing.client' }
      : {
          problem: `addressing.client is ${configured} but ${WHAT[configured]}`,
          hint: 'set addressing.client to auto, or start/install that client',
        };
  const client = PREFERENCE[distro].find((c) => has(available, c));
  if (client)
    return {
      client,
      why: `auto: ${client === 'dhclient' ? 'dhclient is installed' : `${client === 'networkd' ? 'systemd-networkd' : 'NetworkManager'} runs`} (${distro})`,
    };
  return {
    problem:
      'no DHCP client: systemd-networkd and NetworkManager are not running and dhclient is not installed',
    hint: 'run the distro’s network manager, install dhclient, or use addressing.mode static or pool',
  };
}
