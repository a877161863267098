// Port: the distro's DHCP client, run on the LNI without touching the main routing table.
import type { LanAddress } from '../model/types.ts';

export interface Dhcp {
  /** Starts (or finds running) the client on `ifname` and resolves with the current lease. */
  lease(input: { ifname: string; timeoutSeconds: number }): Promise<LanAddress & { pidFile: string }>;
  /** The lease the running client holds now (it renews on its own), without starting anything. */
  current(input: { ifname: string }): Promise<LanAddress | undefined>;
  /** Stops the client and releases the lease; "not running" is success. */
  stop(input: { ifname: string }): Promise<void>;
}
