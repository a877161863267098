// A pod's second interface on the LAN via ipvlan L2 over the LNI (Multus). Runs in the kernel lab's guest (this
// machine's kernel has no ipvlan): never skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticConfig } from '../integration/helpers.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { httpGet, LAB_ADDRS, ping } from '../lab/net/index.ts';
import { addIpvlanNet1, LabPod } from '../lab/workloads/pod.ts';

/** What the examples' NetworkAttachmentDefinition gives a pod: net1, ipvlan L2 on lni0, a LAN address. */
const POD_LAN_ADDRESS = '192.0.2.61';

describe('Multus ipvlan L2 on the LNI', () => {
  let lab: Lab;
  let node: LabNode;
  let pod: LabPod;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.11') });
    expect(r.exitCode, r.stderr).toBe(0);
    await lab.net.exec(node.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    pod = await LabPod.start(lab.net, node.ns, {
      name: 'pod-lan',
      ip: '10.20.1.210',
      hostVeth: 'enipodlan',
    });
    await addIpvlanNet1(lab.net, node.ns, pod, 'lni0', `${POD_LAN_ADDRESS}/24`);
    await pod.serveHttp(8080);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('gives the pod a LAN address that the device reaches, sharing the LNI MAC', async () => {
    expect(await ping(lab.net.ns.dev, POD_LAN_ADDRESS, { count: 2 })).toBe(true);
    const answer = await httpGet(lab.net.ns.dev, `http://${POD_LAN_ADDRESS}:8080/`);
    expect(JSON.parse(answer.body)).toMatchObject({ ns: 'pod-lan', remote: LAB_ADDRS.device });
    const neigh = (await lab.net.exec(lab.net.ns.dev, 'ip', ['neigh', 'show', POD_LAN_ADDRESS])).stdout;
    expect(neigh).toContain(lab.ownedEnis(node)[0]?.macAddress ?? 'missing');
  });
});
