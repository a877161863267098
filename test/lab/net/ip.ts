// Runs `ip` and other commands inside network namespaces via execa, and parses `ip -json link` output.
import { execa, type Options, type Result } from 'execa';

/** One entry of `ip [-d] [-s] -json link` (fields the lab reads; the rest pass through). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  /** Peer name of a veth whose peer is in the same namespace; `master` is the bridge it is enslaved to. */
  link?: string;
  /** For a veth whose peer is in another namespace: the peer's ifindex there. */
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  /** Present with `-d`. */
  linkinfo?: { info_kind?: string };
  /** Present with `-s`. */
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
}

export interface LinkCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

/**
 * Runs `ip ARGS` (callers pass `-n NS` to act inside a namespace). A string is split on whitespace, for
 * commands whose words (names, addresses) never contain spaces.
 */
export async function ip(args: string | readonly string[]): Promise<string> {
  const { stdout } = await execa('ip', typeof args === 'string' ? args.trim().split(/\s+/) : args);
  return stdout;
}

/** Runs LINES (ip commands without the leading `ip`) in one `ip -n NS -batch -`; stops at the first failure. */
export async function ipBatch(ns: string, lines: readonly string[]): Promise<void> {
  if (lines.length > 0) await execa('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') });
}

/** Runs `ip -json ARGS` and parses the answer. */
export async function ipJson<T>(args: readonly string[]): Promise<T> {
  const out = await ip(['-json', ...args]);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** execa options when none are given (typed so results are plain strings). */
export type NoOptions = Pick<Options, never>;

/** Runs CMD ARGS inside namespace NS (`ip netns exec`); rejects on a non-zero exit unless `reject: false`. */
export function nsExec<O extends Options = NoOptions>(
  ns: string,
  cmd: string,
  args: readonly string[] = [],
  options?: O,
) {
  return execa('ip', ['netns', 'exec', ns, cmd, ...args], options ?? ({} as O));
}

/** True when an `ip` failure only says the object is already gone (deleting twice is success). */
export function isGoneError(err: unknown): boolean {
  const text = String((err as Partial<Result>)?.stderr ?? (err as Error)?.message ?? err);
  return /Cannot find device|does not exist|No such file or directory|Invalid "netns" value/i.test(text);
}

/** Links in NS (the root namespace when undefined); `details` adds `linkinfo` (kind), `stats` counters. */
export function listLinks(ns?: string, opts: { details?: boolean; stats?: boolean } = {}): Promise<IpLink[]> {
  const flags = [...(ns ? ['-n', ns] : []), ...(opts.details ? ['-d'] : []), ...(opts.stats ? ['-s'] : [])];
  return ipJson<IpLink[]>([...flags, 'link', 'show']);
}

/** Links in NS carrying MAC; VLAN and ipvlan children share their parent's MAC, so several may match. */
export async function linksByMac(ns: string, mac: string): Promise<IpLink[]> {
  const want = mac.toLowerCase();
  return (await listLinks(ns, { details: true })).filter((l) => l.address?.toLowerCase() === want);
}

/** The link in NS with MAC: the veth (a hot-plugged NIC) if one of several matches, else the only match. */
export async function linkByMac(ns: string, mac: string): Promise<IpLink | undefined> {
  const links = await linksByMac(ns, mac);
  return links.find((l) => l.linkinfo?.info_kind === 'veth') ?? links[0];
}

/** rx/tx packet and byte counters of every link in NS, by interface name. */
export async function linkCounters(ns: string): Promise<Record<string, LinkCounters>> {
  const out: Record<string, LinkCounters> = {};
  for (const l of await listLinks(ns, { stats: true })) {
    const s = l.stats64;
    out[l.ifname] = {
      rxPackets: s?.rx.packets ?? 0,
      txPackets: s?.tx.packets ?? 0,
      rxBytes: s?.rx.bytes ?? 0,
      txBytes: s?.tx.bytes ?? 0,
    };
  }
  return out;
}

/** Names of the namespaces that exist now (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  return (await ipJson<{ name: string }[]>(['netns', 'list'])).map((n) => n.name);
}
