// Proves ENI hot-plug: the MAC appears under a kernel-style name on the right bridge, answers the LAN, and goes on detach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEni, fakeInstance, labNodeSpecs } from './fixtures.ts';
import { LabNetwork } from './lab-network.ts';
import { arping, ping } from './probes.ts';

describe('ENI hot-plug', () => {
  let lab: LabNetwork;
  const node1 = fakeInstance(1);
  const node2 = fakeInstance(2);

  beforeAll(async () => {
    lab = await LabNetwork.create({ nodes: labNodeSpecs(2), dhcp: false });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  /** The peer, in SIDENS, of the veth named IFNAME in NS (found by the peer's ifindex, `link_index`). */
  const peerOf = async (ns: string, ifname: string, sideNs: string) => {
    const veth = (await lab.linksIn(ns)).find((l) => l.ifname === ifname);
    return (await lab.linksIn(sideNs)).find((l) => l.ifindex === veth?.link_index);
  };

  it('makes an LNI appear in node 1 as eth1 with the ENI MAC, down, its peer up on the LAN bridge', async () => {
    const eni = fakeEni(1);
    await lab.hotPlug.attach({ instance: node1, eni, deviceIndex: 1, isLni: true });
    const link = await lab.linkByMac(lab.nodeNs(1), eni.macAddress);
    expect(link).toMatchObject({ ifname: 'eth1', operstate: 'DOWN', linkinfo: { info_kind: 'veth' } });
    expect(link?.flags).not.toContain('UP');
    const peer = await peerOf(lab.nodeNs(1), 'eth1', lab.ns.lan);
    expect(peer).toMatchObject({ master: 'br0' });
    expect(peer?.flags).toContain('UP');
  });

  it('names the same attachment ens6 on node 2 (predictable naming), so only the MAC identifies it', async () => {
    const eni = fakeEni(2);
    await lab.hotPlug.attach({ instance: node2, eni, deviceIndex: 1, isLni: true });
    expect((await lab.linkByMac(lab.nodeNs(2), eni.macAddress))?.ifname).toBe('ens6');
    expect(lab.hotPlug.ifnameFor(node2.instanceId, 1)).toBe('ens6');
  });

  it('lets the on-prem device ping and arp an address the test puts on the LNI, answered by that NIC', async () => {
    const ns = lab.nodeNs(1);
    await lab.exec(ns, 'ip', ['addr', 'add', '192.0.2.77/24', 'dev', 'eth1']);
    await lab.exec(ns, 'ip', ['link', 'set', 'eth1', 'up']);
    const before = await lab.counters(ns);
    expect(await ping(lab.ns.dev, '192.0.2.77', { count: 3, timeoutSec: 2 })).toBe(true);
    const after = await lab.counters(ns);
    // Three echo replies (plus an ARP reply) left by eth1; eth0 carried none of them.
    expect((after.eth1?.txPackets ?? 0) - (before.eth1?.txPackets ?? 0)).toBeGreaterThanOrEqual(3);
    expect(after.eth0?.txPackets).toBe(before.eth0?.txPackets);
    const arp = await arping(lab.ns.dev, 'eth0', '192.0.2.77');
    expect(arp.macs).toEqual([fakeEni(1).macAddress]);
  });

  it('puts a plain (non-LNI) ENI on the VPC bridge, not the LAN', async () => {
    const eni = fakeEni(3);
    await lab.hotPlug.attach({ instance: node1, eni, deviceIndex: 2, isLni: false });
    expect((await lab.linkByMac(lab.nodeNs(1), eni.macAddress))?.ifname).toBe('eth2');
    expect(await peerOf(lab.nodeNs(1), 'eth2', lab.ns.vpc)).toMatchObject({ master: 'vpcbr' });
  });

  it('removes the interface on detach, found by MAC even after the agent renamed it', async () => {
    const ns = lab.nodeNs(1);
    const eni = fakeEni(1);
    await lab.exec(ns, 'ip', ['link', 'set', 'eth1', 'down']);
    await lab.exec(ns, 'ip', ['link', 'set', 'eth1', 'name', 'lni0']);
    const lanPeersBefore = (await lab.linksIn(lab.ns.lan)).filter((l) => l.master === 'br0').length;
    await lab.hotPlug.detach({ instance: node1, eni, deviceIndex: 1, isLni: true });
    expect(await lab.linkByMac(ns, eni.macAddress)).toBeUndefined();
    expect((await lab.linksIn(lab.ns.lan)).filter((l) => l.master === 'br0')).toHaveLength(
      lanPeersBefore - 1,
    );
    expect(lab.hotPlug.events.at(-1)).toMatchObject({ kind: 'detach', ifname: 'lni0', result: 'removed' });
    expect(await ping(lab.ns.dev, '192.0.2.77', { timeoutSec: 1 })).toBe(false);
  });

  it('treats a repeated attach or detach as done, and an instance without a lab node as nothing to do', async () => {
    const ev = { instance: node2, eni: fakeEni(2), deviceIndex: 1, isLni: true };
    await lab.hotPlug.attach(ev);
    await lab.hotPlug.detach(ev);
    await lab.hotPlug.detach(ev);
    await lab.hotPlug.attach({ ...ev, instance: fakeInstance(9) });
    expect(lab.hotPlug.events.slice(-4).map((e) => e.result)).toEqual([
      'already-present',
      'removed',
      'already-gone',
      'unknown-instance',
    ]);
    expect((await lab.linksIn(lab.nodeNs(2))).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });

  it('serialises concurrent attach and detach for one node', async () => {
    const ev = { instance: node2, eni: fakeEni(4), deviceIndex: 2, isLni: true };
    await Promise.all([lab.hotPlug.attach(ev), lab.hotPlug.detach(ev), lab.hotPlug.attach(ev)]);
    expect((await lab.linkByMac(lab.nodeNs(2), ev.eni.macAddress))?.ifname).toBe('ens7');
  });
});
