// DHCP port on NetworkManager (RHEL 8/9): the agent's profile asks for the lease; this reads it through nmcli.
import { HostNetworkError } from '../errors.ts';
import { maskToPrefix } from '../model/ipv4.ts';
import type { LanAddress } from '../model/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Dhcp } from '../ports/dhcp.ts';
import type { Runner } from '../ports/runner.ts';

/**
 * `nmcli -t -f DHCP4 device show <if>` (nmcli(1), NetworkManager 1.42): one `DHCP4.OPTION[n]:name = value` line per
 * option of the current lease (ip_address, subnet_mask, routers — reported even when the profile ignores them).
 */
export function parseNmDhcp4(text: string): LanAddress | undefined {
  const opts = Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^DHCP4\.OPTION\[\d+\]:([a-z0-9_]+) = (.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], (m[2] ?? '').trim()]),
  );
  if (!opts.ip_address || !opts.subnet_mask) return undefined;
  return {
    address: opts.ip_address,
    prefixLength: maskToPrefix(opts.subnet_mask),
    gateway: opts.routers?.split(' ')[0] || undefined,
    source: 'dhcp',
    managedBy: 'networkmanager',
  };
}

export class NetworkManagerDhcp implements Dhcp {
  readonly client = 'networkmanager' as const;

  constructor(
    private readonly runner: Runner,
    private readonly clock: Clock,
  ) {}

  async current(input: { ifname: string }): Promise<LanAddress | undefined> {
    const r = await this.runner.run('nmcli', ['-t', '-f', 'DHCP4', 'device', 'show', input.ifname], {
      timeoutMs: 5000,
    });
    return r.exitCode === 0 ? parseNmDhcp4(r.stdout) : undefined;
  }

  async lease(input: { ifname: string; timeoutSeconds: number }) {
    const deadline = this.clock.now() + input.timeoutSeconds * 1000;
    for (;;) {
      const lease = await this.current(input);
      if (lease) return lease;
      if (this.clock.now() > deadline)
        throw new HostNetworkError(
          `no DHCP lease on ${input.ifname} from NetworkManager within ${input.timeoutSeconds}s (addressing.timeoutSeconds): check the LAN's DHCP server; \`nmcli device show ${input.ifname}\` shows NetworkManager's side`,
        );
      await this.clock.sleep(250);
    }
  }

  async stop(): Promise<void> {}
}
