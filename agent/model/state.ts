// The state file's shape: what this agent created and configured, so release undoes exactly that.
import type { DhcpClientName } from './dhcp-client.ts';
import type { SnatRecord } from './plan-snat.ts';
import type { LanAddress } from './types.ts';

export const STATE_VERSION = 1;

export interface AgentState {
  version: typeof STATE_VERSION;
  instanceId: string;
  /** Region of the instance, so release can reach EC2 even when IMDS is already gone at shutdown. */
  region?: string;
  updatedAt: string;
  /** Bumped whenever the agent deletes an ENI it created, so the next create uses a fresh ClientToken. */
  tokenGeneration: number;
  /** Written before CreateNetworkInterface: a crash after it retries with the same token. */
  pendingCreate?: { clientToken: string; at: string };
  eni?: {
    id: string;
    mac: string;
    subnetId: string;
    deviceIndex: number;
    attachmentId?: string;
    createdByAgent: boolean;
  };
  host?: {
    lniName: string;
    ifname: string;
    vlan?: { id: number; name: string };
    address: LanAddress;
    table: number;
    rulePriority: number;
    onPrem: string[];
    /** sysctl path → value before the agent changed it. */
    sysctlsBefore: Record<string, string>;
    /** Files written under the host root by agents before `fences` (release still removes them). */
    files?: string[];
  };
  /** What keeps the network managers off the LNI: files written under the host root, before the attach. */
  fences?: { files: string[]; kernelNames?: string[] };
  /** The SNAT chain (by iptables flavour) and destination rules for pod traffic to the LAN. */
  snat?: SnatRecord;
  /** The DHCP client holding the LNI's lease (older state files: dhclient). */
  dhcp?: { ifname: string; pidFile?: string; client?: DhcpClientName };
  join?: { method: string; nodeIp: string; labels: Record<string, string>; at: string };
  lastUp?: { at: string; ok: boolean; durationMs: number; message?: string };
}

export function emptyState(instanceId: string, now: string): AgentState {
  return { version: STATE_VERSION, instanceId, updatedAt: now, tokenGeneration: 0 };
}

/** ClientToken for CreateNetworkInterface: stable per instance and generation (≤ 64 ASCII chars). */
export function clientTokenFor(instanceId: string, generation: number): string {
  return `ona-${instanceId}-g${generation}`;
}
