// Port: the DHCP client that gives the LNI its LAN lease (dhclient run by the agent, or the node's network manager).
import type { DhcpClientName } from '../model/dhcp-client.ts';
import type { LanAddress } from '../model/types.ts';

export interface Dhcp {
  readonly client: DhcpClientName;
  /**
   * Resolves with the lease once the client holds one (dhclient: started here; a network manager: it was asked to by
   * the agent's file for the LNI); a HostNetworkError after `timeoutSeconds`.
   */
  lease(input: { ifname: string; timeoutSeconds: number }): Promise<LanAddress & { pidFile?: string }>;
  /** The lease the client holds now (it renews on its own), without starting anything. */
  current(input: { ifname: string }): Promise<LanAddress | undefined>;
  /** Stops the client the agent runs and releases the lease; a network manager is stopped by its file. */
  stop(input: { ifname: string }): Promise<void>;
}
