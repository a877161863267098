// One LNI name on every node: the kernel's name becomes lni0, stays so across a reboot, and a clash changes nothing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODECONFIG_PATH } from '../../agent/adapters/joiner-eks.ts';
import { Lab } from '../lab/lab.ts';
import { callsFrom, lastSeq, mutating, staticConfig } from './helpers.ts';

describe('stable LNI name', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 3 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('renames the kernel-named LNI (ens6) to lni0 by MAC, labels the node with it, and writes the .link file', async () => {
    const node = lab.node(2);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.81') });
    expect(r.exitCode, r.stderr).toBe(0);
    const eni = lab.ownedEnis(node)[0];
    const plugged = lab.net.hotPlug.events.find(
      (e) => e.kind === 'attach' && e.eniId === eni?.networkInterfaceId,
    );
    expect(plugged?.ifname).toBe('ens6');
    expect((await lab.net.linkByMac(node.ns, eni?.macAddress ?? ''))?.ifname).toBe('lni0');
    expect(r.stdout).toContain('is lni0 with 192.0.2.81/24');
    const nodeConfig = await readFile(join(node.hostRoot, NODECONFIG_PATH), 'utf8');
    expect(nodeConfig).toContain('outposts-node-agent/lni-interface=lni0');
    const link = await readFile(
      join(node.hostRoot, 'etc/systemd/network/10-outposts-node-agent-lni.link'),
      'utf8',
    );
    expect(link).toContain(`MACAddress=${eni?.macAddress}`);
    expect(link).toContain('Name=lni0');
    expect((await lab.net.exec(node.ns, 'ip', ['rule'])).stdout).toContain('from 192.0.2.81 lookup 200');
  });

  it('after a reboot brings the LNI back under its kernel name, up names it lni0 again with the same address', async () => {
    const node = lab.node(2);
    const eni = lab.ownedEnis(node)[0];
    const instance = lab.state.getInstance(node.instanceId);
    if (!eni || !instance) throw new Error('no LNI from the previous test');
    // The reboot: the NIC disappears and is plugged again by the "kernel" under its kernel name, unconfigured.
    await lab.net.exec(node.ns, 'ip', ['link', 'del', 'lni0']);
    await lab.net.hotPlug.attach({ instance, eni, deviceIndex: 1, isLni: true });
    expect((await lab.net.linkByMac(node.ns, eni.macAddress))?.ifname).toBe('ens6');
    const since = lastSeq(lab);
    const r = await lab.agent(node, ['up']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mutating(callsFrom(lab, node, since))).toEqual([]);
    expect((await lab.net.linkByMac(node.ns, eni.macAddress))?.ifname).toBe('lni0');
    expect((await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'lni0'])).stdout).toContain(
      '192.0.2.81/24',
    );
  });

  it('refuses when lni0 already names another interface: exit 5 and nothing renamed', async () => {
    const node = lab.node(3);
    await lab.net.exec(node.ns, 'ip', [
      'link',
      'add',
      'name',
      'lni0',
      'type',
      'veth',
      'peer',
      'name',
      'other0',
    ]);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.83') });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('lni.name lni0 is already the name of another interface');
    const eni = lab.ownedEnis(node)[0];
    const kernelName = lab.net.hotPlug.events.find((e) => e.eniId === eni?.networkInterfaceId)?.ifname;
    expect(kernelName).toMatch(/^(eth|ens)\d+$/);
    expect((await lab.net.linkByMac(node.ns, eni?.macAddress ?? ''))?.ifname).toBe(kernelName);
    expect((await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr'])).stdout).not.toContain('192.0.2.83');
  });

  it('lni.name=kernel keeps the kernel name', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.84', { lni: { name: 'kernel' } }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('is eth1 with');
  });
});
