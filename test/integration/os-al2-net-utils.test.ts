// AL2 with amazon-ec2-net-utils 1.x (a custom AMI): its hot-plug ec2ifup and persistent-net rules beside the agent.
// The LNI is fenced under its kernel name before the hot-plug, and its name survives a reboot.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { ethNaming } from '../lab/net/hot-plug.ts';
import { msUntil, staticConfig } from './helpers.ts';

const OUTPOST_SUBNET = 'subnet-0a1b2c3d4e5f60001';
const RULE = 'etc/udev/rules.d/70-outposts-node-agent-lni.rules';
const PERSISTENT = 'etc/udev/rules.d/70-persistent-net.rules';

describe('AL2 with amazon-ec2-net-utils 1.x beside the agent', () => {
  let lab: Lab;
  const read = (node: LabNode, path: string) =>
    readFile(join(node.hostRoot, path), 'utf8').catch(() => undefined);
  const addresses = async (node: LabNode, ifname: string) =>
    (
      JSON.parse(
        (await lab.net.exec(node.ns, 'ip', ['-json', '-4', 'addr', 'show', 'dev', ifname])).stdout,
      ) as {
        addr_info: { local: string; prefixlen: number }[];
      }[]
    ).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
  const leasesOf = (mac: string) => lab.net.dhcpLeases().filter((l) => l.mac === mac);
  const dhclients = async (node: LabNode) =>
    (await lab.net.exec(node.ns, 'ip', ['netns', 'pids', node.ns], { reject: false })).stdout
      .split('\n')
      .filter(Boolean)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dhclient';
        } catch {
          return false;
        }
      });

  beforeAll(async () => {
    lab = await Lab.start({
      nodes: 3,
      distro: 'al2',
      naming: () => ethNaming,
      timings: { consistencyDelayMs: 0 },
    });
    for (const node of lab.nodes) lab.startEc2NetUtilsV1(node);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('lni0: the udev rule (NAME:=) and ifcfg-eth1 (EC2SYNC=no) are written before the attach; udev names it lni0, the persistent-net generator writes nothing, ec2ifup finds no eth1; lni0 has exactly the agent’s address', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.37') });
    expect(r.exitCode, r.stderr).toBe(0);
    await lab.udevSettled();
    const eni = lab.ownedEnis(node)[0];
    const plugged = lab.net.hotPlug.events.find(
      (e) => e.kind === 'attach' && e.eniId === eni?.networkInterfaceId,
    );
    expect([plugged?.kernelName, plugged?.ifname]).toEqual(['eth1', 'lni0']);
    expect(lab.netUtilsRuns.filter((u) => u.node === 1)).toEqual([
      { node: 1, ifname: 'eth1', outcome: 'no-device' },
    ]);
    expect(await read(node, RULE)).toContain(`ATTR{address}=="${eni?.macAddress}", NAME:="lni0"`);
    // ifcfg-eth1 fenced the name the kernel was going to use; once the NIC is lni0 the prediction is withdrawn.
    const wrote = r.logs.findIndex((l) => l.msg === 'fence: wrote' && String(l.path).endsWith('ifcfg-eth1'));
    expect(wrote).toBeGreaterThanOrEqual(0);
    expect(wrote).toBeLessThan(r.logs.findIndex((l) => l.step === 'attach-eni'));
    expect(await read(node, 'etc/sysconfig/network-scripts/ifcfg-eth1')).toBeUndefined();
    expect(await read(node, 'etc/sysconfig/network-scripts/ifcfg-lni0')).toMatch(/^EC2SYNC=no$/m);
    expect(await read(node, PERSISTENT)).toBeUndefined();
    expect(await addresses(node, 'lni0')).toEqual(['192.0.2.37/24']);
    expect(leasesOf(eni?.macAddress ?? '')).toEqual([]);
  });

  it('lni.name=kernel: ec2ifup leaves eth1 alone (the agent’s ifcfg-eth1 says EC2SYNC=no before the NIC exists): no dhclient, exactly the agent’s address', async () => {
    const node = lab.node(3);
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.39', { lni: { name: 'kernel' } }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    await lab.udevSettled();
    expect(lab.netUtilsRuns.filter((u) => u.node === 3)).toEqual([
      { node: 3, ifname: 'eth1', outcome: 'left-alone' },
    ]);
    expect(await addresses(node, 'eth1')).toEqual(['192.0.2.39/24']);
    expect(await dhclients(node)).toEqual([]);
    expect(leasesOf(lab.ownedEnis(node)[0]?.macAddress ?? '')).toEqual([]);
  });

  it('negative control: an ENI attached with no agent to fence it is configured by ec2ifup, and dhclient takes a LAN lease', async () => {
    const node = lab.node(2);
    const ec2 = lab.sdk();
    const created = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: OUTPOST_SUBNET }));
    const mac = created.NetworkInterface?.MacAddress ?? '';
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created.NetworkInterface?.NetworkInterfaceId,
        InstanceId: node.instanceId,
        DeviceIndex: 1,
      }),
    );
    const took = await msUntil(async () => leasesOf(mac).length > 0, 30_000);
    await lab.udevSettled();
    console.log(`ec2ifup + dhclient took the unfenced eth1 in ${took} ms: ${leasesOf(mac)[0]?.ip}`);
    expect(lab.netUtilsRuns.filter((u) => u.node === 2)).toEqual([
      { node: 2, ifname: 'eth1', outcome: 'configured' },
    ]);
    expect(await read(node, 'etc/sysconfig/network-scripts/ifcfg-eth1')).toContain('BOOTPROTO=dhcp');
    await msUntil(async () => (await addresses(node, 'eth1')).some((a) => a.startsWith('192.0.2.1')), 10_000);
    expect(await read(node, PERSISTENT)).toContain(`ATTR{address}=="${mac}", KERNEL=="eth*", NAME="eth1"`);
  });

  it('lni0 survives a reboot even with a persistent-net rule naming its MAC eth1; with the old plain NAME= rule it comes back as eth1', async () => {
    const node = lab.node(1);
    const eni = lab.ownedEnis(node)[0];
    const instance = lab.state.getInstance(node.instanceId);
    if (!eni || !instance) throw new Error('no LNI from the first test');
    // What the generator wrote when the LNI first appeared before any agent rule existed.
    await writeFile(
      join(node.hostRoot, PERSISTENT),
      `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="${eni.macAddress}", KERNEL=="eth*", NAME="eth1"\n`,
    );
    const reboot = async () => {
      await lab.net.exec(node.ns, 'ip', [
        'link',
        'del',
        (await lab.net.linkByMac(node.ns, eni.macAddress))?.ifname ?? '',
      ]);
      await lab.net.hotPlug.attach({ instance, eni, deviceIndex: 1, isLni: true });
      await lab.udevSettled();
      return (await lab.net.linkByMac(node.ns, eni.macAddress))?.ifname;
    };
    expect(await reboot()).toBe('lni0');
    const r = await lab.agent(node, ['up']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await addresses(node, 'lni0')).toEqual(['192.0.2.37/24']);

    // Negative control: the old agent's rule (plain NAME=) sorts before 70-persistent-net.rules and loses to it.
    const rule = (await read(node, RULE)) ?? '';
    await writeFile(join(node.hostRoot, RULE), rule.replace('NAME:=', 'NAME='));
    expect(await reboot()).toBe('eth1');
    await writeFile(join(node.hostRoot, RULE), rule);
  });
});
