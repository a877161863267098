// DHCP, the default addressing, through each distro's real client against the lab's dnsmasq: ISC dhclient (AL2),
// systemd-networkd 252 (AL2023, with no dhclient on the node) and NetworkManager 1.42 (RHEL).
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabDistro, type LabNode } from '../lab/lab.ts';
import { LAB_ADDRS } from '../lab/net/index.ts';
import type { NodeOs } from '../lab/os/node-os.ts';
import { msUntil } from './helpers.ts';

const CLIENTS = [
  { n: 1, distro: 'al2', client: 'dhclient', moveTo: '192.0.2.181' },
  { n: 2, distro: 'al2023', client: 'networkd', moveTo: '192.0.2.182' },
  { n: 3, distro: 'rhel', client: 'networkmanager', moveTo: '192.0.2.183' },
] as const satisfies readonly { n: number; distro: LabDistro; client: string; moveTo: string }[];

const NETWORKD_FILE = 'etc/systemd/network/09-outposts-node-agent-lni.network';
const NM_PROFILE = 'etc/NetworkManager/system-connections/outposts-node-agent-lni.nmconnection';
const dhcpConfig = (timeoutSeconds = 30) => ({
  cluster: { name: 'edge-lab' },
  addressing: { mode: 'dhcp', timeoutSeconds },
  join: { mode: 'none' },
});

/** A PATH with every program of this machine but dhclient, as on an AL2023 node. */
async function pathWithoutDhclient(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const from of ['/usr/sbin', '/usr/bin'])
    for (const name of await readdir(from))
      if (name !== 'dhclient') await symlink(join(from, name), join(dir, name)).catch(() => undefined);
  return dir;
}

/** Starts the node's own network manager for the client under test. */
async function startOs(lab: Lab, node: LabNode, client: string): Promise<NodeOs | undefined> {
  if (client === 'networkd') {
    node.env.PATH = await pathWithoutDhclient(join(node.dir, 'bin-no-dhclient'));
    return lab.startNetworkd(node);
  }
  if (client === 'networkmanager') return lab.startNetworkManager(node);
  return undefined;
}

async function addressesOn(lab: Lab, node: LabNode, ifname: string): Promise<string[]> {
  const r = await lab.net.exec(node.ns, 'ip', ['-json', '-4', 'addr', 'show', 'dev', ifname], {
    reject: false,
  });
  if (r.exitCode !== 0) return [];
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) =>
    l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
  );
}

/** The main table and resolv.conf: what a lease must not change. */
async function mainAndDns(lab: Lab, node: LabNode) {
  const routes = (await lab.net.exec(node.ns, 'ip', ['route', 'show', 'table', 'main'])).stdout
    .split('\n')
    .filter((l) => l && !/ dev lni0 proto kernel scope link /.test(l));
  return { routes, resolv: await readFile('/etc/resolv.conf', 'utf8') };
}

describe('DHCP through the distro’s own client', () => {
  let lab: Lab;
  const os = new Map<number, NodeOs | undefined>();
  const before = new Map<number, Awaited<ReturnType<typeof mainAndDns>>>();
  const macOf = (node: LabNode) => lab.ownedEnis(node)[0]?.macAddress ?? '';

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 3, dhcp: { leaseSeconds: 120, renewSeconds: 6, rebindSeconds: 10 } });
    for (const c of CLIENTS) {
      const node = lab.node(c.n);
      await lab.setDistro(node, c.distro);
      os.set(c.n, await startOs(lab, node, c.client));
      before.set(c.n, await mainAndDns(lab, node));
    }
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.for(CLIENTS)(
    '$client ($distro): up takes a LAN lease with auto, the device reaches the node on it over the LNI, and the node’s routes and DNS are unchanged',
    async (c) => {
      const node = lab.node(c.n);
      const r = await lab.agent(node, ['up'], { config: dhcpConfig() });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.logs.find((l) => l.msg === 'dhcp: client')).toMatchObject({ client: c.client });
      const state = (await lab.readState(node)) as { host: { address: { address: string } }; dhcp: object };
      const leased = state.host.address.address;
      expect(leased).toMatch(/^192\.0\.2\.1\d\d$/);
      expect(lab.net.dhcpLeases().find((l) => l.mac === macOf(node))?.ip).toBe(leased);
      expect(await addressesOn(lab, node, 'lni0')).toEqual([`${leased}/24`]);
      expect(state.dhcp).toMatchObject({ client: c.client });
      // The device on the LAN reaches the node's leased address, and the replies come back by the LNI.
      const ping = await lab.net.exec(lab.net.ns.dev, 'ping', ['-c', '2', '-W', '2', leased], {
        reject: false,
      });
      expect(ping.exitCode, ping.stdout).toBe(0);
      expect(
        (await lab.net.exec(node.ns, 'ip', ['route', 'get', LAB_ADDRS.device, 'from', leased])).stdout,
      ).toContain('dev lni0');
      expect(await mainAndDns(lab, node)).toEqual(before.get(c.n));
    },
  );

  it('every client renews its lease (dnsmasq logs a second DHCPACK for each MAC at T1)', async () => {
    const renewed = async () =>
      CLIENTS.every((c) => {
        const mac = macOf(lab.node(c.n));
        return (
          (lab.net.dhcpLog.match(new RegExp(`DHCPACK\\([^)]*\\) [0-9.]+ ${mac}`, 'g')) ?? []).length >= 2
        );
      });
    const took = await msUntil(renewed, 30_000);
    console.log(`all three renewed within ${took} ms (T1 6 s)`);
  });

  it('a server that moves the client to another address: watch follows it, the rule is updated within a second of the new address', async () => {
    const watchers = CLIENTS.map((c) => lab.spawnAgent(lab.node(c.n), ['watch'], { timeoutMs: 120_000 }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const c of CLIENTS) lab.net.setDhcpHost(macOf(lab.node(c.n)), c.moveTo);
      const lags = await Promise.all(
        CLIENTS.map(async (c) => {
          const node = lab.node(c.n);
          await msUntil(
            async () => (await addressesOn(lab, node, 'lni0')).includes(`${c.moveTo}/24`),
            40_000,
          );
          const lag = await msUntil(
            async () =>
              (await lab.net.exec(node.ns, 'ip', ['rule'])).stdout.includes(`from ${c.moveTo} lookup 200`),
            5000,
          );
          return [c.client, lag] as const;
        }),
      );
      console.log(`rule following the new address: ${JSON.stringify(Object.fromEntries(lags))} ms`);
      for (const [, lag] of lags) expect(lag).toBeLessThan(1000);
      for (const c of CLIENTS) {
        const node = lab.node(c.n);
        const rules = (await lab.net.exec(node.ns, 'ip', ['rule'])).stdout;
        expect(rules).not.toMatch(/from 192\.0\.2\.1\d\d lookup 200[\s\S]*from 192\.0\.2\.1\d\d lookup 200/);
        // Pod egress to the LAN is source-NATed to the new address too.
        await msUntil(async () => {
          const nat = (await lab.net.exec(node.ns, 'iptables-save', ['-t', 'nat'])).stdout;
          return nat.includes(`--to-source ${c.moveTo}`) && !/--to-source 192\.0\.2\.1[0-7]\d\b/.test(nat);
        }, 5000);
      }
    } finally {
      for (const w of watchers) w.kill('SIGTERM');
      await Promise.allSettled(watchers);
    }
  });

  it('networkd: the agent’s .network file is what gives the address (back to the plain fence, the lease goes; up brings it back)', async () => {
    const node = lab.node(2);
    const claim = await readFile(join(node.hostRoot, NETWORKD_FILE), 'utf8');
    expect(claim).toContain('DHCP=ipv4');
    expect(claim).toContain('UseRoutes=no');
    expect(claim).not.toMatch(/^Address=/m);
    const fenceOnly = `${claim.slice(0, claim.indexOf('[Link]'))}[Link]\nUnmanaged=yes\n`;
    await writeFile(join(node.hostRoot, NETWORKD_FILE), fenceOnly);
    await os.get(2)?.exec('networkctl', ['reload']);
    await msUntil(async () => (await addressesOn(lab, node, 'lni0')).length === 0, 10_000);
    const r = await lab.agent(node, ['up'], { config: dhcpConfig() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await addressesOn(lab, node, 'lni0')).length).toBe(1);
  });

  it('release leaves no address, no file of the agent’s and no DHCP client process', async () => {
    for (const c of CLIENTS) {
      const node = lab.node(c.n);
      const r = await lab.agent(node, ['release']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(lab.ownedEnis(node)).toEqual([]);
      for (const path of [NETWORKD_FILE, NM_PROFILE])
        expect(await readFile(join(node.hostRoot, path), 'utf8').catch(() => undefined)).toBeUndefined();
      const pids = (await lab.net.exec(node.ns, 'ip', ['netns', 'pids', node.ns])).stdout
        .split('\n')
        .filter(Boolean);
      const comms = await Promise.all(pids.map((p) => readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')));
      expect(comms.map((x) => x.trim())).not.toContain('dhclient');
    }
  });
});

describe('DHCP with a server that never answers', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 4, dhcp: false });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.for(CLIENTS)(
    '$client: exit 5 within addressing.timeoutSeconds, with nothing left half-configured',
    async (c) => {
      const node = lab.node(c.n);
      await lab.setDistro(node, c.distro);
      const manager = await startOs(lab, node, c.client);
      const started = Date.now();
      const r = await lab.agent(node, ['up'], { config: dhcpConfig(4) });
      const took = Date.now() - started;
      expect(r.exitCode, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/no DHCP lease on lni0/);
      expect(took).toBeLessThan(4000 + 15_000);
      expect(await addressesOn(lab, node, 'lni0')).toEqual([]);
      if (c.client === 'networkd') {
        expect(await readFile(join(node.hostRoot, NETWORKD_FILE), 'utf8')).toContain('Unmanaged=yes');
        const links = JSON.parse(
          (await manager?.exec('networkctl', ['list', '--json=short']))?.stdout ?? '{}',
        );
        expect(links.Interfaces.find((l: { Name: string }) => l.Name === 'lni0')?.AdministrativeState).toBe(
          'unmanaged',
        );
      }
      if (c.client === 'networkmanager')
        expect(
          await readFile(join(node.hostRoot, NM_PROFILE), 'utf8').catch(() => undefined),
        ).toBeUndefined();
      const pids = (await lab.net.exec(node.ns, 'ip', ['netns', 'pids', node.ns])).stdout
        .split('\n')
        .filter(Boolean);
      const comms = await Promise.all(pids.map((p) => readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')));
      expect(comms.map((x) => x.trim())).not.toContain('dhclient');
    },
  );

  it('negative control: an AL2023 node with no dhclient and networkd not running has no client: preflight says so, up exits 5 naming it', async () => {
    const node = lab.node(4);
    await lab.setDistro(node, 'al2023');
    node.env.PATH = await pathWithoutDhclient(join(node.dir, 'bin-no-dhclient'));
    const pre = await lab.agent(node, ['preflight', '--json'], { config: dhcpConfig(4) });
    const check = JSON.parse(pre.stdout).checks.find((x: { id: string }) => x.id === 'lni.dhcp-client');
    expect(check).toMatchObject({ status: 'fail', observed: expect.stringContaining('no DHCP client') });
    const r = await lab.agent(node, ['up'], { config: dhcpConfig(4) });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain(
      'no DHCP client: systemd-networkd and NetworkManager are not running and dhclient is not installed',
    );
  });
});
