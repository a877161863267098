// DHCP port on systemd-networkd (AL2023): the agent's .network file asks for the lease; this reads it.
import { HostNetworkError } from '../errors.ts';
import { maskToPrefix } from '../model/ipv4.ts';
import type { LanAddress } from '../model/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Dhcp } from '../ports/dhcp.ts';
import type { HostFiles } from '../ports/host-files.ts';
import type { HostNet } from '../ports/host-net.ts';

/**
 * systemd 252 keeps the DHCPv4 lease of link N in /run/systemd/netif/leases/N (sd-dhcp-lease.c dhcp_lease_save:
 * ADDRESS=, NETMASK=, ROUTER=, LIFETIME=, …), written when it is acquired or renewed and removed with it;
 * `networkctl status --json` in 252 has no lease object and no router.
 */
export function parseNetworkdLease(text: string): LanAddress | undefined {
  const kv = Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  return leaseOf(kv.ADDRESS, kv.NETMASK, kv.ROUTER, 'networkd');
}

/** A manager's lease as the agent's LAN address: address, mask, the first router. */
export function leaseOf(
  address: string | undefined,
  netmask: string | undefined,
  routers: string | undefined,
  managedBy: 'networkd' | 'networkmanager',
): LanAddress | undefined {
  if (!address || !netmask) return undefined;
  const gateway = routers?.split(' ')[0] || undefined;
  return { address, prefixLength: maskToPrefix(netmask), gateway, source: 'dhcp', managedBy };
}

/**
 * Polls a network manager's lease until it is there, or a HostNetworkError (exit 5) after `timeoutSeconds` naming the
 * client and where to look.
 */
export async function waitForLease(
  clock: Clock,
  input: { ifname: string; timeoutSeconds: number },
  read: () => Promise<LanAddress | undefined>,
  about: { client: string; look: string },
): Promise<LanAddress> {
  const deadline = clock.now() + input.timeoutSeconds * 1000;
  for (;;) {
    const lease = await read();
    if (lease) return lease;
    if (clock.now() > deadline)
      throw new HostNetworkError(
        `no DHCP lease on ${input.ifname} from ${about.client} within ${input.timeoutSeconds}s (addressing.timeoutSeconds): check the LAN's DHCP server; \`${about.look}\` shows ${about.client}'s side`,
      );
    await clock.sleep(200);
  }
}

export class NetworkdDhcp implements Dhcp {
  readonly client = 'networkd' as const;

  constructor(
    private readonly files: HostFiles,
    private readonly hostNet: HostNet,
    private readonly clock: Clock,
  ) {}

  async current(input: { ifname: string }): Promise<LanAddress | undefined> {
    const link = (await this.hostNet.links()).find((l) => l.name === input.ifname);
    if (!link) return undefined;
    const text = await this.files.read(`/run/systemd/netif/leases/${link.ifindex}`);
    return text ? parseNetworkdLease(text) : undefined;
  }

  lease(input: { ifname: string; timeoutSeconds: number }) {
    return waitForLease(this.clock, input, () => this.current(input), {
      client: 'systemd-networkd',
      look: `networkctl status ${input.ifname}`,
    });
  }

  async stop(): Promise<void> {}
}
