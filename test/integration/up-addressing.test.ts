// Each addressing mode in the lab: static, DHCP from the LAN's dnsmasq, and a pool that skips addresses in use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.ts';
import { LAB_ADDRS, ping } from '../lab/net/index.ts';
import { CLUSTER } from './helpers.ts';

describe('addressing modes', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 3 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('dhcp: takes a lease from the LAN DHCP server, gateway from the lease, without touching the main default route', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['up'], {
      config: { cluster: { name: CLUSTER }, addressing: { mode: 'dhcp', timeoutSeconds: 20 } },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const mac = lab.ownedEnis(node)[0]?.macAddress ?? '';
    const lease = lab.net.dhcpLeases().find((l) => l.mac === mac);
    expect(lease, 'dnsmasq leased an address to the LNI MAC').toBeDefined();
    const state = (await lab.readState(node)) as {
      host: { address: { address: string; gateway: string; source: string } };
    };
    expect(state.host.address).toMatchObject({
      address: lease?.ip,
      gateway: LAB_ADDRS.lanGateway,
      source: 'dhcp',
    });
    expect(
      (await lab.net.exec(node.ns, 'ip', ['route', 'show', 'default'])).stdout.trim().split('\n'),
    ).toEqual([expect.stringContaining('dev eth0')]);
    expect((await lab.net.exec(node.ns, 'ip', ['rule'])).stdout).toContain(`from ${lease?.ip} lookup 200`);
    expect(await ping(lab.net.ns.dev, lease?.ip ?? '')).toBe(true);
    // A second run keeps the running client's lease and changes nothing.
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(lease?.ip);
  });

  it('pool: skips an address the device already holds (ARP probe) and claims the next free one', async () => {
    const node = lab.node(2);
    const first = LAB_ADDRS.poolRange.first;
    await lab.net.exec(lab.net.ns.dev, 'ip', ['addr', 'add', `${first}/24`, 'dev', 'eth0']);
    const pool = {
      mode: 'pool',
      start: first,
      end: LAB_ADDRS.poolRange.last,
      prefixLength: 24,
      gateway: LAB_ADDRS.lanGateway,
      probeTimeoutMs: 1000,
    };
    const r = await lab.agent(node, ['up'], { config: { cluster: { name: CLUSTER }, addressing: pool } });
    expect(r.exitCode, r.stderr).toBe(0);
    const probes = r.logs.filter((l) => l.msg === 'pool probe');
    expect(probes[0]).toMatchObject({ candidate: first, inUse: true });
    expect(probes[1]).toMatchObject({ candidate: '192.0.2.201', inUse: false });
    expect(r.stdout).toContain('with 192.0.2.201/24');
    expect(await ping(lab.net.ns.dev, '192.0.2.201')).toBe(true);

    // Another node probing the same pool sees this node's claim and takes the next address.
    const other = lab.node(3);
    const r3 = await lab.agent(other, ['up'], { config: { cluster: { name: CLUSTER }, addressing: pool } });
    expect(r3.exitCode, r3.stderr).toBe(0);
    expect(r3.stdout).toContain('with 192.0.2.202/24');

    // Re-running keeps the claimed address without probing again.
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.logs.filter((l) => l.msg === 'pool probe')).toHaveLength(0);
    expect(again.stdout).toContain('with 192.0.2.201/24');
  });
});
