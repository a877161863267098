// RHEL for real: Debian's NetworkManager 1.42 with its automatic DHCP on every ethernet device, beside the agent:
// the fence takes effect on a running NetworkManager, neither clobbers another tool's list nor is clobbered by it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { type NodeOs, nmDeviceStates } from '../lab/os/node-os.ts';
import { msUntil, staticConfig } from './helpers.ts';

const CONF_D = 'etc/NetworkManager/conf.d';
const OUTPOST_SUBNET = 'subnet-0a1b2c3d4e5f60001';
/** Another tool's conf.d files (cloud-init, a container runtime…): one sorting before the agent's, one after. */
const OTHERS = {
  '10-other-first.conf': '[keyfile]\nunmanaged-devices=interface-name:other0\n',
  '99-other-last.conf': '[keyfile]\nunmanaged-devices=interface-name:other1\n',
};

describe('RHEL: NetworkManager beside the agent', () => {
  let lab: Lab;
  const managers = new Map<number, NodeOs>();
  const nm = (node: LabNode) => managers.get(node.n) as NodeOs;

  const lni = async (node: LabNode) => {
    const [a] = JSON.parse(
      (await lab.net.exec(node.ns, 'ip', ['-json', '-4', 'addr', 'show', 'dev', 'lni0'])).stdout,
    ) as { mtu: number; addr_info: { local: string; prefixlen: number }[] }[];
    return {
      mtu: a?.mtu,
      addresses: a?.addr_info.map((x) => `${x.local}/${x.prefixlen}`),
      nm: (await nmDeviceStates(nm(node))).lni0,
    };
  };
  const leasesOf = (mac: string) => lab.net.dhcpLeases().filter((l) => l.mac === mac);

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2, distro: 'rhel', timings: { consistencyDelayMs: 0 } });
    for (const node of lab.nodes) {
      await mkdir(join(node.hostRoot, CONF_D), { recursive: true });
      for (const [name, text] of Object.entries(OTHERS))
        await writeFile(join(node.hostRoot, CONF_D, name), text);
      for (const other of ['other0', 'other1'])
        await lab.net.exec(node.ns, 'ip', [
          'link',
          'add',
          other,
          'type',
          'veth',
          'peer',
          'name',
          `${other}p`,
        ]);
      managers.set(node.n, await lab.startNetworkManager(node));
    }
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('the fence, written and reloaded before the attach, keeps the running NetworkManager off the LNI from the start: no DHCP lease, lni0 unmanaged with exactly the agent’s address; the other tool’s list still applies', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.35') });
    expect(r.exitCode, r.stderr).toBe(0);
    const fenceAt = r.logs.findIndex(
      (l) => l.msg === 'fence: wrote' && String(l.path).includes('NetworkManager'),
    );
    const attachAt = r.logs.findIndex((l) => l.step === 'attach-eni');
    expect(fenceAt).toBeGreaterThanOrEqual(0);
    expect(fenceAt).toBeLessThan(attachAt);
    expect(r.logs.find((l) => l.msg === 'fence: reloaded')?.manager).toBe('networkmanager');
    const mac = lab.ownedEnis(node)[0]?.macAddress ?? '';
    // udev named it lni0 at once (the .link file came with the fence), and NetworkManager never managed it.
    expect(lab.net.hotPlug.events.find((e) => e.mac === mac)?.ifname).toBe('lni0');
    expect(await lni(node)).toEqual({ mtu: 1500, addresses: ['192.0.2.35/24'], nm: 'unmanaged' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(leasesOf(mac)).toEqual([]);
    expect(await lni(node)).toEqual({ mtu: 1500, addresses: ['192.0.2.35/24'], nm: 'unmanaged' });

    // NetworkManager's own merge: the other tool's list is untouched (the last file's wins, as it did before the
    // agent came), and the agent's section stands beside it.
    const printed = (await nm(node).exec('NetworkManager', ['--print-config'])).stdout;
    expect(printed).toMatch(/^unmanaged-devices=interface-name:other1$/m);
    expect(printed).toMatch(
      /\[device-outposts-node-agent-lni\]\nmatch-device=mac:[^\n]*interface-name:lni0[^\n]*\nmanaged=0/,
    );
    const states = await nmDeviceStates(nm(node));
    expect(states.other1).toBe('unmanaged');
  });

  it('negative control: an unfenced NIC is taken at once (automatic DHCP), and the old fence — a plain unmanaged-devices= in 90-…conf — is clobbered by a later file', async () => {
    const node = lab.node(2);
    // The old agent's fence for this NIC, beside the other tool's later file.
    const ec2 = lab.sdk();
    const created = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: OUTPOST_SUBNET }));
    const eni = created.NetworkInterface;
    const mac = eni?.MacAddress ?? '';
    await writeFile(
      join(node.hostRoot, CONF_D, '90-outposts-node-agent.conf'),
      `[keyfile]\nunmanaged-devices=mac:${mac};interface-name:ens6\n`,
    );
    await nm(node).exec('nmcli', ['general', 'reload', 'conf']);
    const printed = (await nm(node).exec('NetworkManager', ['--print-config'])).stdout;
    expect(printed).toMatch(/^unmanaged-devices=interface-name:other1$/m);
    expect(printed).not.toContain('interface-name:ens6');

    // A launch template's LNI, say: attached with no agent to fence it.
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni?.NetworkInterfaceId,
        InstanceId: node.instanceId,
        DeviceIndex: 1,
      }),
    );
    const took = await msUntil(async () => leasesOf(mac).length > 0, 30_000);
    const states = await nmDeviceStates(nm(node));
    console.log(
      `NetworkManager took the unfenced NIC ens6 in ${took} ms: lease ${leasesOf(mac)[0]?.ip}, state ${states.ens6}`,
    );
    expect(states.ens6).toBe('connected');
    expect(leasesOf(mac)[0]?.ip).toMatch(/^192\.0\.2\.1\d\d$/);
  });

  it('adopting that LNI while NetworkManager has it: the agent unmanages it at run time, renames it lni0 and gives it exactly its address', async () => {
    const node = lab.node(2);
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.36') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await lni(node)).toEqual({ mtu: 1500, addresses: ['192.0.2.36/24'], nm: 'unmanaged' });
    const conf = await readFile(join(node.hostRoot, CONF_D, '90-outposts-node-agent.conf'), 'utf8');
    expect(conf).toContain('interface-name:ens6');
    expect(conf).not.toContain('unmanaged-devices');
    // It stays so: NetworkManager does not come back for it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await lni(node)).toEqual({ mtu: 1500, addresses: ['192.0.2.36/24'], nm: 'unmanaged' });
  });
});
