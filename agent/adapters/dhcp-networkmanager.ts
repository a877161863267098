// DHCP port on NetworkManager (RHEL 8/9): the agent's profile asks for the lease; this reads it through nmcli.
import type { LanAddress } from '../model/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Dhcp } from '../ports/dhcp.ts';
import type { Runner } from '../ports/runner.ts';
import { leaseOf, waitForLease } from './dhcp-networkd.ts';

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
  return leaseOf(opts.ip_address, opts.subnet_mask, opts.routers, 'networkmanager');
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

  lease(input: { ifname: string; timeoutSeconds: number }) {
    return waitForLease(this.clock, input, () => this.current(input), {
      client: 'NetworkManager',
      look: `nmcli device show ${input.ifname}`,
    });
  }

  async stop(): Promise<void> {}
}
