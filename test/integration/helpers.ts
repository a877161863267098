// Shared test helpers: configs for lab nodes, host snapshots for "nothing changed" checks, EC2 call counts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab, LabNode } from '../lab/lab.ts';
import { LAB_ADDRS } from '../lab/net/index.ts';
import type { CallRecord } from '../lab/types.ts';

export const CLUSTER = 'edge-lab';

export function staticConfig(address: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: { name: CLUSTER },
    addressing: { mode: 'static', address: `${address}/24`, gateway: LAB_ADDRS.lanGateway },
    ...extra,
  };
}

/** Everything `ip -json` and the LNI sysctls say about a node, to prove a run changed nothing. */
export async function hostSnapshot(lab: Lab, node: LabNode): Promise<string> {
  const run = async (args: string[]) => (await lab.net.exec(node.ns, 'ip', ['-json', ...args])).stdout;
  const parts = await Promise.all([
    run(['link', 'show']),
    run(['addr', 'show']),
    run(['rule', 'show']),
    run(['route', 'show', 'table', 'all']),
    lab.net
      .exec(node.ns, 'sh', [
        '-c',
        'grep -H . /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter',
      ])
      .then((r) => r.stdout),
  ]);
  // Counters move with any traffic; they are not configuration.
  return parts.join('\n').replace(/"stats64":\{[^}]*\{[^}]*\}[^}]*\{[^}]*\}\}/g, '');
}

export function callsFrom(lab: Lab, node: LabNode, since = 0): CallRecord[] {
  return lab.ec2.calls().filter((c) => c.seq > since && c.source.endsWith(node.primaryIp));
}

export function mutating(calls: CallRecord[]): CallRecord[] {
  return calls.filter((c) => c.mutating && !c.dryRun);
}

export function lastSeq(lab: Lab): number {
  return lab.ec2.calls().at(-1)?.seq ?? 0;
}

/** The name of the interface in the node's namespace that has this MAC. */
export async function ifnameByMac(lab: Lab, node: LabNode, mac: string): Promise<string | undefined> {
  return (await lab.net.linkByMac(node.ns, mac))?.ifname;
}

/** Polls `check` every 100 ms until it holds; resolves with how long that took, rejects after `timeoutMs`. */
export async function msUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of Prometheus text format (a scrape or a .prom file; comments skipped). */
export function parseScrape(text: string): Sample[] {
  return text.split('\n').flatMap((line): Sample[] => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || line.startsWith('#')) return [];
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    return [{ name: m[1] ?? '', labels, value: Number(m[3]) }];
  });
}

/** One value from the agent's metrics file on NODE (undefined: no such sample). */
export async function agentMetric(
  node: LabNode,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await readFile(join(node.metricsDir, 'outposts-node-agent.prom'), 'utf8').catch(() => '');
  return parseScrape(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}
