// Port: a stream of "the network configuration changed" events (netlink), for watch.
export interface NetlinkMonitor {
  /** Calls `onChange` after links, addresses, routes or rules change; stops when `signal` aborts. */
  start(onChange: () => void, signal: AbortSignal): Promise<void>;
}
