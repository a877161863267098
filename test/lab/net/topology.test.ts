// Proves the lab topology: IMDS/EC2 reached via eth0 with the node's source address, the LAN, DHCP, root untouched.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { labNodeSpecs } from './fixtures.ts';
import { listLinks } from './ip.ts';
import { LAB_ADDRS, LabNetwork } from './lab-network.ts';
import { httpGet, ping } from './probes.ts';

const rootLinks = async () => (await listLinks()).map((l) => `${l.ifname}/${l.address}`).sort();

describe('lab topology', () => {
  let lab: LabNetwork;
  let rootBefore: string[];
  const seen: { server: string; remote: string | undefined; path: string | undefined }[] = [];
  const handler = (server: string) =>
    http.createServer((req, res) => {
      seen.push({ server, remote: req.socket.remoteAddress, path: req.url });
      res.end(`${server} saw ${req.socket.remoteAddress}`);
    });
  const imds = handler('imds');
  const ec2 = handler('ec2');

  beforeAll(async () => {
    rootBefore = await rootLinks();
    lab = await LabNetwork.create({ nodes: labNodeSpecs(2) });
    const [imdsSock, ec2Sock] = await lab.listen(lab.ns.vpc, [
      { host: LAB_ADDRS.imds, port: 80 },
      { host: LAB_ADDRS.vpcRouter, port: LAB_ADDRS.ec2Port },
    ]);
    imds.listen(imdsSock);
    ec2.listen(ec2Sock);
  });

  afterAll(async () => {
    imds.close();
    ec2.close();
    await lab?.destroy();
  });

  it('routes 169.254.169.254 from a node via eth0 and the router, as on EC2', async () => {
    const { stdout } = await lab.exec(lab.nodeNs(1), 'ip', ['route', 'get', LAB_ADDRS.imds]);
    expect(stdout).toMatch(new RegExp(`via ${LAB_ADDRS.vpcRouter} dev eth0 src 10\\.20\\.1\\.11`));
  });

  it('serves IMDS from a handler in the test process, which sees each node by its eth0 address', async () => {
    const a = await httpGet(lab.nodeNs(1), `http://${LAB_ADDRS.imds}/latest/meta-data/instance-id`);
    const b = await httpGet(lab.nodeNs(2), `http://${LAB_ADDRS.imds}/latest/api/token`, { method: 'PUT' });
    expect(a).toEqual({ status: 200, body: 'imds saw 10.20.1.11' });
    expect(b).toEqual({ status: 200, body: 'imds saw 10.20.1.12' });
    expect(seen).toContainEqual({ server: 'imds', remote: '10.20.1.12', path: '/latest/api/token' });
  });

  it('serves the EC2 endpoint at 10.20.1.1:8000 inside the vpc namespace', async () => {
    const a = await httpGet(lab.nodeNs(2), `http://${LAB_ADDRS.vpcRouter}:${LAB_ADDRS.ec2Port}/`);
    expect(a.body).toBe('ec2 saw 10.20.1.12');
  });

  it('lets the on-prem device reach the LAN gateway and the on-prem network behind it, not the VPC', async () => {
    expect(await ping(lab.ns.dev, LAB_ADDRS.lanGateway)).toBe(true);
    expect(await ping(lab.ns.dev, LAB_ADDRS.onPremGateway)).toBe(true);
    expect(await ping(lab.ns.dev, '10.20.1.11', { timeoutSec: 1 })).toBe(false);
  });

  it('has dnsmasq hand a lease with the LAN gateway as router to a DHCP client on the LAN', async () => {
    const lf = join(lab.tmpDir, 'dhclient.leases');
    const args = [
      '-d',
      '-1',
      '-sf',
      '/bin/true',
      '-cf',
      '/dev/null',
      '-pf',
      join(lab.tmpDir, 'dhclient.pid'),
    ];
    const client = lab.spawnIn(lab.ns.dev, 'dhclient', [...args, '-lf', lf, 'eth0'], { reject: false });
    const mac = (await listLinks(lab.ns.dev)).find((l) => l.ifname === 'eth0')?.address;
    const lease = await vi.waitFor(
      () => {
        const found = lab.dhcpLeases().find((l) => l.mac === mac);
        if (!found || !existsSync(lf) || !readFileSync(lf, 'utf8').includes('fixed-address'))
          throw new Error('no lease yet');
        return found;
      },
      { timeout: 5000, interval: 20 },
    );
    client.kill('SIGTERM');
    await client;
    expect(lease.ip).toMatch(/^192\.0\.2\.1\d\d$/);
    expect(readFileSync(lf, 'utf8')).toContain(`fixed-address ${lease.ip};`);
    expect(readFileSync(lf, 'utf8')).toContain(`option routers ${LAB_ADDRS.lanGateway};`);
    expect(lab.dhcpLog).toMatch(/DHCPACK\(eth0\)/);
    // `-sf /bin/true`: the client configured nothing; the device keeps its static address only.
    const { stdout } = await lab.exec(lab.ns.dev, 'ip', ['-4', '-br', 'addr', 'show', 'eth0']);
    expect(stdout.trim().split(/\s+/).slice(2)).toEqual([`${LAB_ADDRS.device}/24`]);
  });

  it('creates nothing in the root namespace', async () => {
    expect(await rootLinks()).toEqual(rootBefore);
  });
});
