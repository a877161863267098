// The lab network's public surface: namespaces, hot-plug, listening inside a namespace, probes and cleanup.
export {
  defaultNaming,
  ensNaming,
  ethNaming,
  type HotPlugEvent,
  type IfaceNaming,
  NetnsHotPlug,
} from './hot-plug.ts';
export { type IpLink, type LinkCounters, linkByMac, linkCounters, listLinks, nsExec } from './ip.ts';
export {
  type DhcpLease,
  type DhcpServerOptions,
  type HttpService,
  LAB_ADDRS,
  type LabNamespaces,
  LabNetwork,
  type LabNetworkOptions,
  type LabNodeSpec,
  nodePrimaryIp,
} from './lab-network.ts';
export { type CleanedLab, cleanupLeftovers, LEFTOVER_DIR } from './leftovers.ts';
export { type ListenAddress, listenInNetns, serveHttpOn } from './listen-in-netns.ts';
export { type ArpingResult, arping, type HttpAnswer, httpGet, ping } from './probes.ts';
