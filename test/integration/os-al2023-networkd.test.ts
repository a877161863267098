// AL2023 for real: Debian's systemd-networkd 252 with the distro's catch-all, and the EKS AMI's nodeadm udev broker
// and boot hook (stand-ins), beside the agent: the LNI is fenced before it appears and stays the agent's.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODEADM_VERDICT } from '../../agent/model/fences.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import type { NodeOs } from '../lab/os/node-os.ts';
import { networkctlList } from '../lab/os/node-os.ts';
import { bootHook, CACHE_DIR, eksNetworkPath, MANAGER_SYSTEMD, wipeRun } from '../lab/os/nodeadm-udev.ts';
import { msUntil, staticConfig } from './helpers.ts';

const ADDRESS = '192.0.2.31';
const FENCE = 'etc/systemd/network/09-outposts-node-agent-lni.network';

describe('AL2023: systemd-networkd and nodeadm beside the agent', () => {
  let lab: Lab;
  let node: LabNode;
  let os: NodeOs;
  /** The kernel's name for the LNI on this node (even nodes: ens<5+index>). */
  const kernelName = 'ens6';
  const cachePath = (name: string) => join(node.hostRoot, CACHE_DIR, node.instanceId, name);
  const readIf = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  const lniFacts = async () => {
    const [addr] = JSON.parse(
      (await lab.net.exec(node.ns, 'ip', ['-json', '-4', 'addr', 'show', 'dev', 'lni0'])).stdout,
    ) as { mtu: number; addr_info: { local: string; prefixlen: number }[] }[];
    const rules = (await lab.net.exec(node.ns, 'ip', ['rule'])).stdout;
    const table = (await lab.net.exec(node.ns, 'ip', ['route', 'show', 'table', '200'])).stdout;
    const main = (await lab.net.exec(node.ns, 'ip', ['route', 'show', 'dev', 'lni0'])).stdout;
    const state = (await networkctlList(os)).find((l) => l.Name === 'lni0')?.AdministrativeState;
    return {
      mtu: addr?.mtu,
      addresses: addr?.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      rule: rules.includes(`from ${ADDRESS} lookup 200`),
      table: table.trim(),
      defaultViaLni: /^default/m.test(main),
      networkd: state,
    };
  };

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2, distro: 'al2023' });
    node = lab.node(2);
    os = await lab.startNetworkd(node, { nodeadm: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('fences the LNI before it appears: lni0 keeps exactly the agent’s address, MTU, routes and rule; networkd leaves it unmanaged; nodeadm’s verdict is "not networkd’s" under both names and no 70-eks file is left', async () => {
    const r = await lab.agent(node, ['up'], { config: staticConfig(ADDRESS) });
    expect(r.exitCode, r.stderr).toBe(0);
    await lab.udevSettled();
    // The fence was in place, and networkd told, before the ENI was attached.
    const fenceAt = r.logs.find(
      (l) => l.msg === 'fence: wrote' && String(l.path).endsWith('09-outposts-node-agent-lni.network'),
    );
    const attach = r.logs.find((l) => l.step === 'attach-eni');
    expect(fenceAt && attach && r.logs.indexOf(fenceAt) < r.logs.indexOf(attach)).toBe(true);
    expect(r.logs.find((l) => l.msg === 'fence: reloaded')?.manager).toBe('networkd');
    expect(lab.udevRuns.filter((u) => u.node === node.n).map((u) => u.ifname)).toEqual([kernelName]);

    expect(await lniFacts()).toEqual({
      mtu: 1500,
      addresses: [`${ADDRESS}/24`],
      rule: true,
      table: expect.stringContaining(`192.0.2.0/24 dev lni0`),
      defaultViaLni: false,
      networkd: 'unmanaged',
    });
    for (const name of [kernelName, 'lni0']) {
      expect(await readIf(cachePath(name))).toBe(NODEADM_VERDICT);
      expect(await readIf(join(node.hostRoot, eksNetworkPath(name)))).toBeUndefined();
    }
    // networkd never configured the LNI with its catch-all (no DHCP client, no MTU 9001) at any point.
    expect(os.log()).not.toMatch(/(ens6|lni0): .*DHCPv4 (client: )?(started|address)/);
    expect(os.log()).not.toMatch(/(ens6|lni0): found matching network '.*80-ec2\.network'/);
  });

  it('negative control: without the fence networkd takes lni0 (DHCP lease, MTU 9001); up puts the fence back and the LNI is the agent’s again', async () => {
    await lab.net.exec(node.ns, 'rm', ['-f', join(node.hostRoot, FENCE)]);
    await os.exec('networkctl', ['reload']);
    const taken = await msUntil(async () => {
      const f = await lniFacts();
      return f.mtu === 9001 && (f.addresses ?? []).some((a) => a.startsWith('192.0.2.1'));
    }, 20_000);
    console.log(`without the fence, networkd took lni0 in ${taken} ms: ${JSON.stringify(await lniFacts())}`);
    expect(['configuring', 'configured']).toContain((await lniFacts()).networkd);

    const r = await lab.agent(node, ['up']);
    expect(r.exitCode, r.stderr).toBe(0);
    await msUntil(async () => (await lniFacts()).networkd === 'unmanaged', 10_000);
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await lniFacts()).toMatchObject({
      mtu: 1500,
      addresses: [`${ADDRESS}/24`],
      rule: true,
      networkd: 'unmanaged',
    });
  });

  it('a reboot adds no wait: nodeadm’s boot hook finds every cached networkd link configured and the LNI unmanaged at once; with the verdict the old agent left it waits out its timeout', async () => {
    const eni = lab.ownedEnis(node)[0];
    const instance = lab.state.getInstance(node.instanceId);
    if (!eni || !instance) throw new Error('no LNI from the first test');
    // The reboot: networkd stops, /run is wiped, the NIC comes back under its kernel name, udev runs the broker.
    await os.stop();
    await wipeRun(node.hostRoot);
    await lab.net.exec(node.ns, 'ip', ['link', 'del', 'lni0']);
    await lab.net.hotPlug.attach({ instance, eni, deviceIndex: 1, isLni: true });
    os = await lab.startNetworkd(node);
    await lab.udevSettled();
    expect(await readIf(join(node.hostRoot, eksNetworkPath(kernelName)))).toBeUndefined();

    const host = lab.brokerHost(node, os);
    const hook = await bootHook(host, 60_000);
    console.log(`boot hook after a reboot: ${JSON.stringify(hook)}`);
    expect(hook).toMatchObject({ ok: true, required: ['eth0'] });
    expect(hook.waitedMs).toBeLessThan(2000);

    // Then the agent's unit at boot: a converged up puts the name and the address back.
    const r = await lab.agent(node, ['up', '--set', 'join.mode=none']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await lniFacts()).toMatchObject({
      mtu: 1500,
      addresses: [`${ADDRESS}/24`],
      networkd: 'unmanaged',
    });

    // Negative control: the verdict the broker cached at first boot when nothing fenced the LNI first.
    await writeFile(cachePath(kernelName), MANAGER_SYSTEMD);
    const stuck = await bootHook(host, 2000);
    expect(stuck).toMatchObject({
      ok: false,
      error: 'context deadline exceeded',
      required: [kernelName, 'eth0'],
    });
    expect(stuck.waitedMs).toBeGreaterThanOrEqual(2000);
    await writeFile(cachePath(kernelName), NODEADM_VERDICT);
  });

  it('release removes the fence and the cached verdicts with the LNI', async () => {
    const r = await lab.agent(node, ['release']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const name of [kernelName, 'lni0']) expect(await readIf(cachePath(name))).toBeUndefined();
    expect(await readIf(join(node.hostRoot, FENCE))).toBeUndefined();
    expect(lab.ownedEnis(node)).toEqual([]);
  });
});
