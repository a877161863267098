// The lab the benchmarks run in: nodes handed out fresh one at a time, LAN addresses, a bulk subnet for sweep.
import { join } from 'node:path';
import { CLUSTER, staticConfig } from '../../test/integration/helpers.ts';
import { BULK_SUBNET, fixtureWithBulkSubnet } from '../../test/lab/ec2/fixture.ts';
import { Lab, type LabNode } from '../../test/lab/lab.ts';
import { LAB_ADDRS } from '../../test/lab/net/index.ts';
import { ROOT } from './agent-runtime.ts';

export { BULK_SUBNET, CLUSTER };

/** Static LAN addresses no lab host uses: .3–.49 and .51–.99 (gateway .1, dnsmasq .2, device .50, DHCP .100+). */
export function lanAddress(n: number): string {
  const host = n <= 47 ? n + 2 : n + 3;
  if (host > 99) throw new Error(`no free static LAN address for bench node ${n}`);
  return `192.0.2.${host}`;
}

/**
 * The config `up` runs with in the benchmarks: static LAN address, the lab's gateway, and no EKS join, so the
 * agent does the same work as the baseline script (the join stand-in would add one short spawn).
 */
export function benchConfig(node: LabNode): Record<string, unknown> {
  return staticConfig(lanAddress(node.n), { join: { mode: 'none' } });
}

/** The baseline: the userdata script people write today, run by bash as cloud-init would. */
export const BASELINE_ARGV = ['bash', join(ROOT, 'bench/baseline/userdata-lni.sh')];

/** Environment the baseline script needs on top of the node's (endpoints, credentials). */
export function baselineEnv(node: LabNode): Record<string, string> {
  return { LAN_ADDRESS: `${lanAddress(node.n)}/24`, LAN_GATEWAY: LAB_ADDRS.lanGateway, CLUSTER };
}

/** Starts a lab of COUNT nodes whose fixture also has a /18 subnet for seeding thousands of ENIs. */
export async function startBenchLab(count: number): Promise<Lab> {
  return Lab.start({ nodes: count, fixture: await fixtureWithBulkSubnet() });
}

/** Hands out nodes that have not run anything yet, each with the bench config written. */
export class FreshNodes {
  private next = 1;
  constructor(private readonly lab: Lab) {}

  async take(): Promise<LabNode> {
    const node = this.lab.node(this.next++);
    await this.lab.writeConfig(node, benchConfig(node));
    return node;
  }
}
