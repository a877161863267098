// `up` in the lab: the LAN reaches services on the node's LNI, replies leave by the LNI, two nodes see each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.ts';
import { httpGet, LAB_ADDRS, ping } from '../lab/net/index.ts';
import { CLUSTER, staticConfig } from './helpers.ts';

/** This file proves the LNI is found by MAC under whatever name the kernel gave it: keep that name. */
const KERNEL_NAMES = { lni: { name: 'kernel' } };

describe('up makes the LAN reach the node', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('configures an LNI that the kernel named ens6 (found by MAC, not eth1) and exactly one tagged ENI', async () => {
    const node = lab.node(2);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.12', KERNEL_NAMES) });
    expect(r.exitCode, r.stderr).toBe(0);
    const owned = lab.ownedEnis(node);
    expect(owned).toHaveLength(1);
    const eni = owned[0];
    expect(eni?.attachment).toMatchObject({ deviceIndex: 1, status: 'attached', deleteOnTermination: true });
    expect(eni?.tags).toEqual(
      expect.arrayContaining([
        { key: 'node.k8s.amazonaws.com/no_manage', value: 'true' },
        { key: 'outposts-node-agent:cluster', value: CLUSTER },
      ]),
    );
    const link = await lab.net.linkByMac(node.ns, eni?.macAddress ?? '');
    expect(link?.ifname).toBe('ens6');
    expect(r.stdout).toContain('ens6 with 192.0.2.12/24');
    // The EC2 private IP of the LNI is not usable on the LAN and must not be configured.
    const addrs = (await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'ens6'])).stdout;
    expect(addrs).toContain('192.0.2.12/24');
    expect(addrs).not.toContain(eni?.privateIpAddress ?? 'none');
  });

  it('lets the device reach an HTTP server bound on the LNI address, with replies leaving by the LNI', async () => {
    const node = lab.node(2);
    const svc = await lab.net.serveHttp(node.ns, '192.0.2.12', 8080);
    try {
      const before = await lab.net.counters(node.ns);
      const answer = await httpGet(lab.net.ns.dev, 'http://192.0.2.12:8080/');
      expect(answer.status).toBe(200);
      const after = await lab.net.counters(node.ns);
      expect((after.ens6?.txPackets ?? 0) - (before.ens6?.txPackets ?? 0)).toBeGreaterThan(0);
      expect((after.eth0?.txPackets ?? 0) - (before.eth0?.txPackets ?? 0)).toBe(0);
    } finally {
      await svc.stop();
    }
  });

  it('routes replies to a client on a routed on-prem network back by the LNI (policy rule), not by eth0', async () => {
    const node = lab.node(2);
    const svc = await lab.net.serveHttp(node.ns, '192.0.2.12', 8081);
    try {
      const route = (
        await lab.net.exec(node.ns, 'ip', ['route', 'get', LAB_ADDRS.onPremGateway, 'from', '192.0.2.12'])
      ).stdout;
      expect(route).toContain('dev ens6');
      const viaMain = (await lab.net.exec(node.ns, 'ip', ['route', 'get', LAB_ADDRS.onPremGateway])).stdout;
      expect(viaMain).toContain('dev eth0');
      // A client beyond the LAN gateway (source 198.51.100.1) reaches the service: the reply must come back by the LNI.
      const before = await lab.net.counters(node.ns);
      const answer = await httpGet(lab.net.ns.lan, 'http://192.0.2.12:8081/', {
        iface: LAB_ADDRS.onPremGateway,
      });
      expect(answer.status).toBe(200);
      const after = await lab.net.counters(node.ns);
      expect((after.eth0?.txPackets ?? 0) - (before.eth0?.txPackets ?? 0)).toBe(0);

      // The seed's bug, reproduced: without the agent's rule the reply leaves by eth0 and never arrives.
      await lab.net.exec(node.ns, 'ip', ['rule', 'del', 'priority', '2000']);
      await expect(
        httpGet(lab.net.ns.lan, 'http://192.0.2.12:8081/', { iface: LAB_ADDRS.onPremGateway, timeoutSec: 2 }),
      ).rejects.toThrow();
      const again = await lab.agent(node, ['up']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(
        (await httpGet(lab.net.ns.lan, 'http://192.0.2.12:8081/', { iface: LAB_ADDRS.onPremGateway })).status,
      ).toBe(200);
    } finally {
      await svc.stop();
    }
  });

  it('routes configured on-prem CIDRs via the LAN gateway and keeps the default route on eth0', async () => {
    const node = lab.node(2);
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.12', { ...KERNEL_NAMES, routes: { onPrem: [LAB_ADDRS.onPremCidr] } }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await lab.net.exec(node.ns, 'ip', ['route', 'get', LAB_ADDRS.onPremGateway])).stdout).toContain(
      'via 192.0.2.1 dev ens6',
    );
    expect((await lab.net.exec(node.ns, 'ip', ['route', 'show', 'default'])).stdout).toContain('dev eth0');
    expect(await ping(node.ns, LAB_ADDRS.onPremGateway)).toBe(true);
  });

  it('sets arp_ignore, arp_announce and rp_filter on the LNI and an MTU of 1500', async () => {
    const node = lab.node(2);
    const read = async (k: string) =>
      (await lab.net.exec(node.ns, 'cat', [`/proc/sys/net/ipv4/conf/ens6/${k}`])).stdout.trim();
    expect([await read('arp_ignore'), await read('arp_announce'), await read('rp_filter')]).toEqual([
      '1',
      '2',
      '2',
    ]);
    expect((await lab.net.linkByMac(node.ns, lab.ownedEnis(node)[0]?.macAddress ?? ''))?.mtu).toBe(1500);
  });

  it('gives two nodes their own LNIs that reach each other, and the device reaches both', async () => {
    const node1 = lab.node(1);
    const r = await lab.agent(node1, ['up'], { config: staticConfig('192.0.2.11', KERNEL_NAMES) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('eth1 with 192.0.2.11/24');
    expect(lab.ownedEnis(node1)).toHaveLength(1);
    expect(lab.ownedEnis(node1)[0]?.networkInterfaceId).not.toBe(
      lab.ownedEnis(lab.node(2))[0]?.networkInterfaceId,
    );
    expect(await ping(node1.ns, '192.0.2.12')).toBe(true);
    expect(await ping(lab.node(2).ns, '192.0.2.11')).toBe(true);
    expect(await ping(lab.net.ns.dev, '192.0.2.11')).toBe(true);
    expect(await ping(lab.net.ns.dev, '192.0.2.12')).toBe(true);
  });
});
