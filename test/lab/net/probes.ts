// Reachability probes run inside a namespace: ping, arping and HTTP (curl), for tests to assert on.
import { nsExec } from './ip.ts';

/**
 * True when FROMNS gets an ICMP echo reply from IP: `count` probes `intervalSec` apart (default 0.1; root may
 * go below 0.2), the last waiting up to `timeoutSec`.
 */
export async function ping(
  fromNs: string,
  ip: string,
  opts: { count?: number; intervalSec?: number; timeoutSec?: number; iface?: string } = {},
): Promise<boolean> {
  const args = ['-n', '-q', '-c', String(opts.count ?? 1), '-i', String(opts.intervalSec ?? 0.1)];
  args.push('-W', String(opts.timeoutSec ?? 1));
  if (opts.iface) args.push('-I', opts.iface);
  const { exitCode } = await nsExec(fromNs, 'ping', [...args, ip], { reject: false });
  return exitCode === 0;
}

export interface ArpingResult {
  replied: boolean;
  /** MACs (lower case) that answered, one entry per reply. */
  macs: string[];
}

/**
 * ARP request for IP out of IFACE in FROMNS (iputils arping). With `dad`, sends RFC 5227 probes
 * (sender 0.0.0.0) instead: a reply then means the address is taken.
 */
export async function arping(
  fromNs: string,
  iface: string,
  ip: string,
  opts: { count?: number; timeoutSec?: number; dad?: boolean } = {},
): Promise<ArpingResult> {
  const args = ['-c', String(opts.count ?? 1), '-w', String(opts.timeoutSec ?? 2), '-I', iface];
  if (opts.dad) args.push('-D');
  const { stdout } = await nsExec(fromNs, 'arping', [...args, ip], { reject: false });
  const macs = [...stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) =>
    (m[1] ?? '').toLowerCase(),
  );
  return { replied: macs.length > 0, macs };
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * HTTP request from FROMNS with curl; rejects when no HTTP answer arrives (refused, unreachable, timeout).
 * `headers` are `Name: value` strings, as on a curl command line.
 */
export async function httpGet(
  fromNs: string,
  url: string,
  opts: { method?: string; headers?: string[]; body?: string; timeoutSec?: number; iface?: string } = {},
): Promise<HttpAnswer> {
  const args = [
    '-sS',
    '-m',
    String(opts.timeoutSec ?? 5),
    '-X',
    opts.method ?? 'GET',
    '-w',
    '\n%{http_code}',
  ];
  for (const h of opts.headers ?? []) args.push('-H', h);
  if (opts.body !== undefined) args.push('--data-binary', opts.body);
  if (opts.iface) args.push('--interface', opts.iface);
  const { stdout } = await nsExec(fromNs, 'curl', [...args, url]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}
