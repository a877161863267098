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
  if (!kv.ADDRESS || !kv.NETMASK) return undefined;
  return {
    address: kv.ADDRESS,
    prefixLength: maskToPrefix(kv.NETMASK),
    gateway: kv.ROUTER?.split(' ')[0] || undefined,
    source: 'dhcp',
    managedBy: 'networkd',
  };
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

  async lease(input: { ifname: string; timeoutSeconds: number }) {
    const deadline = this.clock.now() + input.timeoutSeconds * 1000;
    for (;;) {
      const lease = await this.current(input);
      if (lease) return lease;
      if (this.clock.now() > deadline)
        throw new HostNetworkError(
          `no DHCP lease on ${input.ifname} from systemd-networkd within ${input.timeoutSeconds}s (addressing.timeoutSeconds): check the LAN's DHCP server; \`networkctl status ${input.ifname}\` shows networkd's side`,
        );
      await this.clock.sleep(200);
    }
  }

  async stop(): Promise<void> {}
}
