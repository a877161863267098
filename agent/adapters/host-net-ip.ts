// Host network port on iproute2: reads with `ip -json`, applies steps with one `ip -batch`, sysctls via /proc/sys.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { HostNetworkError } from '../errors.ts';
import type { AddressFacts, HostFacts, HostStep, LinkFacts, RouteFacts, RuleFacts } from '../model/types.ts';
import type { HostNet } from '../ports/host-net.ts';
import type { Runner } from '../ports/runner.ts';

interface IpLink {
  ifindex: number;
  ifname: string;
  address?: string;
  flags?: string[];
  mtu: number;
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
}
interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}
/** A policy rule as `ip -json rule show` prints it (also read by the iptables adapter). */
export interface IpRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
}
interface IpRoute {
  dst: string;
  table?: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  prefsrc?: string;
  type?: string;
}

export function linkFacts(l: IpLink): LinkFacts {
  return {
    ifindex: l.ifindex,
    name: l.ifname,
    mac: (l.address ?? '').toLowerCase(),
    up: (l.flags ?? []).includes('UP'),
    mtu: l.mtu,
    link: l.link_index,
    kind: l.linkinfo?.info_kind,
    vlanId: l.linkinfo?.info_data?.id,
  };
}

function withLen(addr: string | undefined, len: number | undefined): string | undefined {
  if (!addr || addr === 'all') return undefined;
  return len !== undefined && len !== 32 ? `${addr}/${len}` : addr;
}

function stepToBatchLine(s: HostStep): string | undefined {
  switch (s.kind) {
    case 'link-up':
      return `link set dev ${s.ifname} up`;
    case 'link-mtu':
      return `link set dev ${s.ifname} mtu ${s.mtu}`;
    case 'vlan-add':
      return `link add link ${s.parent} name ${s.ifname} type vlan id ${s.id}`;
    case 'link-down':
      return `link set dev ${s.ifname} down`;
    case 'link-rename':
      return `link set dev ${s.ifname} name ${s.newName}`;
    case 'link-del':
      return `link del dev ${s.ifname}`;
    case 'addr-add':
      return `addr add ${s.cidr} dev ${s.ifname}`;
    case 'addr-del':
      return `addr del ${s.cidr} dev ${s.ifname}`;
    case 'route-replace':
      return `route replace ${s.dst}${s.gateway ? ` via ${s.gateway}` : ''} dev ${s.ifname}${s.src ? ` src ${s.src}` : ''} table ${s.table}`;
    case 'route-del':
      return `route del ${s.dst}${s.gateway ? ` via ${s.gateway}` : ''}${s.ifname ? ` dev ${s.ifname}` : ''} table ${s.table}`;
    case 'rule-add':
      return `rule add from ${s.from} lookup ${s.table} priority ${s.priority}`;
    case 'rule-del':
      return `rule del${s.from ? ` from ${s.from}` : ''} lookup ${s.table} priority ${s.priority}`;
    case 'sysctl':
      return undefined;
  }
}

export class IpHostNet implements HostNet {
  constructor(
    private readonly runner: Runner,
    private readonly procSys = '/proc/sys',
  ) {}

  private async ipJson<T>(args: string[]): Promise<T> {
    const r = await this.runner.run('ip', ['-json', ...args]);
    if (r.exitCode !== 0) throw new HostNetworkError(`ip ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T;
  }

  async links(): Promise<LinkFacts[]> {
    return (await this.ipJson<IpLink[]>(['-details', 'link', 'show'])).map(linkFacts);
  }

  /** A synchronous read: procfs answers from memory, and watch reads these every few seconds all its life. */
  async readSysctl(key: string): Promise<string | undefined> {
    try {
      return readFileSync(`${this.procSys}/${key}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  /**
   * Links, IPv4 addresses, rules and every table's routes from one `ip -json -details -4 -batch -` (one process
   * instead of one per object): each command prints one JSON array on its own line. A table that holds no route
   * simply has none in `table all`, where `route show table N` would fail with "FIB table does not exist".
   */
  private async snapshot(): Promise<[IpLink[], IpAddr[], IpRule[], IpRoute[]]> {
    const commands = ['link show', 'addr show', 'rule show', 'route show table all'];
    const r = await this.runner.run('ip', ['-json', '-details', '-4', '-batch', '-'], {
      input: `${commands.join('\n')}\n`,
    });
    if (r.exitCode !== 0) throw new HostNetworkError(`ip -batch (read) failed: ${r.stderr || r.stdout}`);
    const arrays = r.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown[]);
    if (arrays.length !== commands.length)
      throw new HostNetworkError(
        `ip -batch (read) printed ${arrays.length} answers for ${commands.length} commands`,
      );
    return arrays as [IpLink[], IpAddr[], IpRule[], IpRoute[]];
  }

  async observe(input: { ifnames: string[]; table: number; sysctlKeys: string[] }): Promise<HostFacts> {
    const [ipLinks, addrs, rules, allRoutes] = await this.snapshot();
    const links = ipLinks.map(linkFacts);
    const tableRoutes = allRoutes.filter((r) => r.table === String(input.table));
    // -details prints the main table by name (and `type unicast`); without it the field is absent.
    const mainRoutes = allRoutes.filter((r) => r.table === 'main' || r.table === undefined);
    const wanted = new Set(input.ifnames);
    const addresses: AddressFacts[] = addrs
      .filter((a) => wanted.has(a.ifname))
      .flatMap((a) =>
        (a.addr_info ?? [])
          .filter((i) => i.family === 'inet')
          .map((i) => ({ ifname: a.ifname, address: i.local, prefixLength: i.prefixlen })),
      );
    const toRoute =
      (table: string) =>
      (r: IpRoute): RouteFacts => ({
        dst: r.dst,
        gateway: r.gateway,
        dev: r.dev,
        table,
        // -details spells out the default scope; the facts keep to what `ip route show` prints.
        scope: r.scope === 'global' ? undefined : r.scope,
        src: r.prefsrc,
      });
    const sysctls: Record<string, string> = {};
    for (const key of input.sysctlKeys) {
      const v = await this.readSysctl(key);
      if (v !== undefined) sysctls[key] = v;
    }
    return {
      links,
      addresses,
      rules: rules.map(
        (r): RuleFacts => ({
          priority: r.priority,
          from: withLen(r.src, r.srclen),
          to: withLen(r.dst, r.dstlen),
          table: r.table ?? '',
        }),
      ),
      routes: [...tableRoutes.map(toRoute(String(input.table))), ...mainRoutes.map(toRoute('main'))],
      sysctls,
    };
  }

  /**
   * In the order given: sysctls are written, the other steps go to `ip -batch`, one batch per run of them — one
   * `ip` in the usual case (sysctls, then links, addresses, routes, rule), two with a new VLAN, whose sysctls can
   * only be written once its link exists.
   */
  async apply(steps: HostStep[]): Promise<void> {
    let lines: string[] = [];
    const flush = async () => {
      if (!lines.length) return;
      const batch = lines;
      lines = [];
      const r = await this.runner.run('ip', ['-batch', '-'], { input: `${batch.join('\n')}\n` });
      if (r.exitCode !== 0)
        throw new HostNetworkError(`ip -batch failed: ${r.stderr || r.stdout}`, { batch });
    };
    for (const s of steps) {
      if (s.kind !== 'sysctl') {
        const line = stepToBatchLine(s);
        if (line !== undefined) lines.push(line);
        continue;
      }
      await flush();
      try {
        await writeFile(`${this.procSys}/${s.key}`, s.value);
      } catch (err) {
        throw new HostNetworkError(`cannot set ${s.key}=${s.value}: ${(err as Error).message}`, {
          key: s.key,
        });
      }
    }
    await flush();
  }

  async routeGet(input: { to: string; from?: string }): Promise<RouteFacts | undefined> {
    const args = ['-4', 'route', 'get', input.to, ...(input.from ? ['from', input.from] : [])];
    const r = await this.runner.run('ip', ['-json', ...args], { timeoutMs: 5000 });
    // "Network is unreachable" and friends: no route is an answer, not a failure of the probe.
    if (r.exitCode !== 0) return undefined;
    const [route] = (r.stdout.trim() ? JSON.parse(r.stdout) : []) as IpRoute[];
    return (
      route && { dst: route.dst, gateway: route.gateway, dev: route.dev, table: 'lookup', src: route.prefsrc }
    );
  }

  async addressInUse(input: { ifname: string; address: string; timeoutMs: number }): Promise<boolean> {
    // arping -D (duplicate address detection, RFC 5227 probe: sender 0.0.0.0): exit 1 when someone answers.
    const count = Math.max(1, Math.round(input.timeoutMs / 500));
    const r = await this.runner.run(
      'arping',
      [
        '-D',
        '-q',
        '-c',
        String(count),
        '-w',
        String(Math.ceil(input.timeoutMs / 1000)),
        '-I',
        input.ifname,
        input.address,
      ],
      {
        timeoutMs: input.timeoutMs + 3000,
      },
    );
    if (r.exitCode === 0) return false;
    if (r.exitCode === 1) return true;
    throw new HostNetworkError(`arping probe of ${input.address} on ${input.ifname} failed: ${r.stderr}`);
  }

  async announce(input: { ifname: string; address: string }): Promise<void> {
    await this.runner.run('arping', ['-U', '-q', '-c', '1', '-I', input.ifname, input.address], {
      timeoutMs: 5000,
    });
  }
}
