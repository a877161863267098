// Starts the lab's MetalLB-style ARP responder (arp-responder.py) for service IPs on one interface of a node.
import { fileURLToPath } from 'node:url';
import type { LabNetwork } from '../net/lab-network.ts';
import { until } from './pod.ts';

const RESPONDER = fileURLToPath(new URL('./arp-responder.py', import.meta.url));

export interface L2Speaker {
  /** What the responder printed: the announcement, then one line per ARP reply. */
  log(): string;
  stop(): Promise<void>;
}

/** Like a MetalLB speaker whose L2Advertisement lists `interfaces: [IFACE]`: announces and answers on IFACE only. */
export async function startL2Speaker(
  net: LabNetwork,
  ns: string,
  iface: string,
  ips: string[],
): Promise<L2Speaker> {
  const sub = net.spawnIn(ns, 'python3', ['-u', RESPONDER, iface, ...ips]);
  let out = '';
  let exited = false;
  sub.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  sub.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const ended = () => {
    exited = true;
  };
  sub.then(ended, ended);
  await until(`ARP responder on ${iface}`, async () => !exited && out.includes('announcing ')).catch(
    (err: Error) => {
      throw new Error(`${err.message}${exited ? ' (exited)' : ''}: ${out}`);
    },
  );
  return {
    log: () => out,
    stop: async () => {
      sub.kill('SIGTERM');
      await sub.catch(() => undefined);
    },
  };
}
