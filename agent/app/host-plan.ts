// The desired host configuration from config (for `up`) or from what the state file recorded (release, watch, status).
import type { AgentConfig } from '../config/schema.ts';
import { desiredHost, type HostPlanInput } from '../model/plan-host.ts';
import type { AgentState } from '../model/state.ts';
import type { DesiredHost, HostFacts, LanAddress } from '../model/types.ts';
import type { HostNet } from '../ports/host-net.ts';

export function hostPlanInput(config: AgentConfig, lniName: string, address: LanAddress): HostPlanInput {
  return {
    lniName,
    mtu: config.lni.mtu,
    vlanId: config.lni.vlan,
    address,
    table: config.routes.table,
    rulePriority: config.routes.rulePriority,
    onPrem: config.routes.onPrem,
    sysctls: config.sysctls,
  };
}

/** What `up` last put in place, as recorded: table, rule, routes and address from the state, the rest from config. */
export function recordedHost(config: AgentConfig, host: NonNullable<AgentState['host']>): DesiredHost {
  return desiredHost({
    ...hostPlanInput(config, host.lniName, host.address),
    vlanId: host.vlan?.id,
    table: host.table,
    rulePriority: host.rulePriority,
    onPrem: host.onPrem,
  });
}

/** What the host has of `d`: its links, addresses, table, rules and sysctls. */
export function observeFor(hostNet: HostNet, d: DesiredHost): Promise<HostFacts> {
  return hostNet.observe({
    ifnames: [d.lniName, d.ifname],
    table: d.table,
    sysctlKeys: Object.keys(d.sysctls),
  });
}
