// Port: the host's network stack (links, addresses, routes, rules, sysctls) and LAN probes.
import type { HostFacts, HostStep, LinkFacts, RouteFacts } from '../model/types.ts';

export interface HostNet {
  links(): Promise<LinkFacts[]>;
  /** One sysctl by its /proc/sys path (`net/ipv4/conf/eth1/arp_ignore`); undefined when absent. */
  readSysctl(key: string): Promise<string | undefined>;
  /** Everything the host diff needs about these interfaces and this routing table. */
  observe(input: { ifnames: string[]; table: number; sysctlKeys: string[] }): Promise<HostFacts>;
  /** Applies route/rule/address/link steps in one batch and sysctl steps by writing /proc/sys. */
  apply(steps: HostStep[]): Promise<void>;
  /** RFC 5227 probe: true when some host already answers ARP for `address` on `ifname`. */
  addressInUse(input: { ifname: string; address: string; timeoutMs: number }): Promise<boolean>;
  /** Gratuitous ARP announcing `address` on `ifname`. */
  announce(input: { ifname: string; address: string }): Promise<void>;
  /** `ip route get <to> [from <from>]`: the route the kernel picks for a packet (policy rules included). */
  routeGet(input: { to: string; from?: string }): Promise<RouteFacts | undefined>;
}
