// DHCP port on ISC dhclient (AL2, RHEL 8): our own hook script puts the lease on the LNI and never touches the main table.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostNetworkError } from '../errors.ts';
import { maskToPrefix } from '../model/ipv4.ts';
import type { LanAddress } from '../model/types.ts';
import type { Dhcp } from '../ports/dhcp.ts';
import type { Runner } from '../ports/runner.ts';
import { atomicWrite, readIfExists } from './host-files.ts';
import { processAlive } from './state-file.ts';

/** dhclient-script replacement: address only, no default route, no resolv.conf; the lease goes to a JSON file. */
export function hookScript(leaseDir: string): string {
  return `#!/bin/sh
# Written by outposts-node-agent. dhclient runs this instead of dhclient-script on the LNI:
# it puts the leased address on the interface and records the lease; routes and rules are the agent's.
lease="${leaseDir}/lease-$interface.json"
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" || exit 1
    router=$(echo "$new_routers" | cut -d' ' -f1)
    printf '{"address":"%s","mask":"%s","router":"%s","leaseTime":"%s","reason":"%s"}\\n' \\
      "$new_ip_address" "$new_subnet_mask" "$router" "$new_dhcp_lease_time" "$reason" > "$lease.tmp" && mv "$lease.tmp" "$lease" ;;
  EXPIRE|FAIL|RELEASE|STOP)
    [ -n "$old_ip_address" ] && ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null
    rm -f "$lease" ;;
esac
exit 0
`;
}

interface LeaseFile {
  address: string;
  mask: string;
  router?: string;
}

export class DhclientDhcp implements Dhcp {
  readonly client = 'dhclient' as const;

  constructor(
    private readonly runner: Runner,
    private readonly runDir: string,
    private readonly binary = 'dhclient',
  ) {}

  private paths(ifname: string) {
    return {
      script: join(this.runDir, 'dhclient-hook.sh'),
      pidFile: join(this.runDir, `dhclient-${ifname}.pid`),
      leases: join(this.runDir, `dhclient-${ifname}.leases`),
      conf: join(this.runDir, `dhclient-${ifname}.conf`),
      lease: join(this.runDir, `lease-${ifname}.json`),
    };
  }

  private async running(pidFile: string): Promise<boolean> {
    const pid = Number((await readIfExists(pidFile))?.trim());
    return Number.isInteger(pid) && pid > 0 && processAlive(pid);
  }

  private async readLease(path: string): Promise<LanAddress | undefined> {
    const text = await readIfExists(path);
    if (!text) return undefined;
    const l = JSON.parse(text) as LeaseFile;
    return {
      address: l.address,
      prefixLength: maskToPrefix(l.mask),
      gateway: l.router || undefined,
      source: 'dhcp',
    };
  }

  async lease(input: { ifname: string; timeoutSeconds: number }) {
    const p = this.paths(input.ifname);
    if (await this.running(p.pidFile)) {
      const current = await this.readLease(p.lease);
      if (current) return { ...current, pidFile: p.pidFile };
    }
    await mkdir(this.runDir, { recursive: true, mode: 0o700 });
    await atomicWrite(p.script, hookScript(this.runDir), 0o700);
    await chmod(p.script, 0o700);
    await atomicWrite(
      p.conf,
      `timeout ${input.timeoutSeconds};\nretry 10;\nrequest subnet-mask, routers;\n`,
      0o600,
    );
    // -1: try once and exit 2 on failure; on success dhclient forks and keeps renewing the lease.
    const r = await this.runner.run(
      this.binary,
      ['-4', '-1', '-q', '-sf', p.script, '-cf', p.conf, '-pf', p.pidFile, '-lf', p.leases, input.ifname],
      { timeoutMs: (input.timeoutSeconds + 10) * 1000 },
    );
    if (r.exitCode === 127 || /ENOENT/.test(r.stderr))
      throw new HostNetworkError(
        `no DHCP client: '${this.binary}' not found; install dhclient or use static/pool addressing`,
      );
    if (r.exitCode !== 0)
      throw new HostNetworkError(
        `no DHCP lease on ${input.ifname} within ${input.timeoutSeconds}s: ${r.stderr || `exit ${r.exitCode}`}`,
      );
    const lease = await this.readLease(p.lease);
    if (!lease) throw new HostNetworkError(`dhclient on ${input.ifname} exited 0 but wrote no lease`);
    return { ...lease, pidFile: p.pidFile };
  }

  current(input: { ifname: string }): Promise<LanAddress | undefined> {
    return this.readLease(this.paths(input.ifname).lease);
  }

  async stop(input: { ifname: string }): Promise<void> {
    const p = this.paths(input.ifname);
    if (await this.running(p.pidFile))
      await this.runner.run(
        this.binary,
        ['-4', '-r', '-q', '-sf', p.script, '-pf', p.pidFile, '-lf', p.leases, input.ifname],
        {
          timeoutMs: 10_000,
        },
      );
  }
}
