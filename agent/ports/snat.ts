// Port: the host's NAT table (the agent's SNAT chain and its jump) and the destination rules for pod traffic to the LAN.
import type { SnatFacts, SnatStep } from '../model/plan-snat.ts';

export interface SnatHost {
  /** The nat table of each iptables flavour present, which flavour `iptables` is, and the IPv4 policy rules. */
  observe(): Promise<SnatFacts>;
  /** One iptables-restore --noflush per nat-restore step; the destination rules in one `ip -batch`. */
  apply(steps: SnatStep[]): Promise<void>;
}
