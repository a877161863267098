// A LAN device reaches pods through a MetalLB-style LoadBalancer IP on the LNI; ARP for it is answered on the LNI only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { arping, httpGet, LAB_ADDRS } from '../lab/net/index.ts';
import { type NodeWorkloads, SERVICE_IPS, setUpNodeWorkloads } from '../lab/workloads/node-workloads.ts';
import { staticConfig } from './helpers.ts';

const LNI_ADDRESS = '192.0.2.11';
const CONFIG = staticConfig(LNI_ADDRESS);
const counter = (c: Record<string, { txPackets: number }>, ifname: string) => c[ifname]?.txPackets ?? 0;

describe('LoadBalancer IPs on the LNI (MetalLB layer 2 + kube-proxy DNAT + VPC CNI)', () => {
  let lab: Lab;
  let node: LabNode;
  let w: NodeWorkloads;
  let lniMac: string;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    // Gratuitous ARP creates neighbour entries only where arp_accept=1: lets the device show it heard the announcement.
    await lab.net.exec(lab.net.ns.dev, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.arp_accept=1']);
    const r = await lab.agent(node, ['up'], { config: CONFIG });
    expect(r.exitCode, r.stderr).toBe(0);
    lniMac = lab.ownedEnis(node)[0]?.macAddress ?? '';
    w = await setUpNodeWorkloads(lab, node, { lniName: 'lni0' });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('announces the service IPs on the LAN with the LNI MAC, and never answers ARP for them from eth0', async () => {
    const heard = (await lab.net.exec(lab.net.ns.dev, 'ip', ['neigh', 'show', SERVICE_IPS.primaryEniPod]))
      .stdout;
    expect(heard).toContain(lniMac);
    const fromLan = await arping(lab.net.ns.dev, 'eth0', SERVICE_IPS.primaryEniPod, { count: 2 });
    expect(fromLan.macs.length).toBeGreaterThan(0);
    expect(new Set(fromLan.macs)).toEqual(new Set([lniMac]));
    // The VPC side (the subnet router's bridge, where eth0 sits) asks for the same IP: nobody answers.
    const fromVpc = await Promise.all(
      Object.values(SERVICE_IPS).map((ip) =>
        arping(lab.net.ns.vpc, 'vpcbr', ip, { count: 2, timeoutSec: 2 }),
      ),
    );
    expect(fromVpc).toEqual([
      { replied: false, macs: [] },
      { replied: false, macs: [] },
    ]);
  });

  it('lets the device reach both pods through their service IPs, the client address kept, replies by the LNI', async () => {
    const before = await lab.net.counters(node.ns);
    for (const [ip, pod] of [
      [SERVICE_IPS.primaryEniPod, 'pod-a'],
      [SERVICE_IPS.secondaryEniPod, 'pod-b'],
    ] as const) {
      const answer = await httpGet(lab.net.ns.dev, `http://${ip}/`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ ns: pod, remote: LAB_ADDRS.device });
    }
    const after = await lab.net.counters(node.ns);
    expect(counter(after, 'lni0') - counter(before, 'lni0')).toBeGreaterThan(0);
    expect(counter(after, 'eth0') - counter(before, 'eth0')).toBe(0);
    expect(counter(after, w.secondaryEni.ifname) - counter(before, w.secondaryEni.ifname)).toBe(0);
  });

  it("without the agent's LAN rule the secondary-ENI pod answers only the node itself (the seed's bug), and up fixes it", async () => {
    const show = async () => (await lab.net.exec(node.ns, 'ip', ['rule', 'show', 'priority', '1530'])).stdout;
    expect(await show()).toContain('to 192.0.2.0/24 lookup 200');
    const off = await lab.agent(node, ['up'], { config: { ...CONFIG, snat: { lanRulePriority: 0 } } });
    expect(off.exitCode, off.stderr).toBe(0);
    expect(await show()).toBe('');

    const before = await lab.net.counters(node.ns);
    await expect(
      httpGet(lab.net.ns.dev, `http://${SERVICE_IPS.secondaryEniPod}/`, { timeoutSec: 2 }),
    ).rejects.toThrow();
    const after = await lab.net.counters(node.ns);
    // The pod's reply followed the CNI's `from <pod> lookup 3` rule out of the secondary ENI, toward the VPC.
    expect(counter(after, w.secondaryEni.ifname) - counter(before, w.secondaryEni.ifname)).toBeGreaterThan(0);
    expect((await httpGet(node.ns, `http://${SERVICE_IPS.secondaryEniPod}/`)).status).toBe(200);
    expect((await httpGet(lab.net.ns.dev, `http://${SERVICE_IPS.primaryEniPod}/`)).status).toBe(200);

    const on = await lab.agent(node, ['up'], { config: CONFIG });
    expect(on.exitCode, on.stderr).toBe(0);
    expect(
      JSON.parse((await httpGet(lab.net.ns.dev, `http://${SERVICE_IPS.secondaryEniPod}/`)).body),
    ).toMatchObject({
      ns: 'pod-b',
    });
    expect(w.speaker?.log()).toContain(`to ${LAB_ADDRS.device}`);
  });
});
