// lni.vlan end to end in a kernel with 802.1Q: Outposts servers do not tag VLAN traffic, so the OS does. Static, DHCP
// (dnsmasq serving the VLAN) and pool addressing; a LAN device on the VLAN reaches the node, a pod behind a MetalLB
// address and an ipvlan pod on lni0.<N>; an untagged device on the same bridge does not.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msUntil } from '../integration/helpers.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { httpGet, ping } from '../lab/net/index.ts';
import { setUpNodeWorkloads } from '../lab/workloads/node-workloads.ts';
import { addIpvlanNet1, LabPod } from '../lab/workloads/pod.ts';

const VLAN = 42;
const NET = '198.18.42';
const GATEWAY = `${NET}.1`;
const DEVICE = `${NET}.50`;
const UNTAGGED = `${NET}.60`;
const base = (addressing: Record<string, unknown>) => ({
  cluster: { name: 'edge-lab' },
  lni: { vlan: VLAN },
  addressing,
  join: { mode: 'none' },
});

describe(`lni.vlan=${VLAN}`, () => {
  let lab: Lab;
  let untagged: string;
  const ifname = `lni0.${VLAN}`;
  const addrs = async (node: LabNode, dev: string) => {
    const r = await lab.net.exec(node.ns, 'ip', ['-json', '-4', 'addr', 'show', 'dev', dev], {
      reject: false,
    });
    if (r.exitCode !== 0) return [];
    return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) =>
      l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
    );
  };

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 3 });
    const { lan, dev, dhcp } = lab.net.ns;
    // The LAN carries VLAN 42 tagged: its gateway on the bridge, the device and the DHCP server on sub-interfaces.
    await lab.net.exec(lan, 'ip', [
      'link',
      'add',
      'link',
      'br0',
      'name',
      `br0.${VLAN}`,
      'type',
      'vlan',
      'id',
      String(VLAN),
    ]);
    await lab.net.exec(lan, 'ip', ['addr', 'add', `${GATEWAY}/24`, 'dev', `br0.${VLAN}`]);
    await lab.net.exec(lan, 'ip', ['link', 'set', `br0.${VLAN}`, 'up']);
    for (const [ns, address] of [
      [dev, DEVICE],
      [dhcp, `${NET}.2`],
    ] as const) {
      await lab.net.exec(ns, 'ip', [
        'link',
        'add',
        'link',
        'eth0',
        'name',
        `eth0.${VLAN}`,
        'type',
        'vlan',
        'id',
        String(VLAN),
      ]);
      await lab.net.exec(ns, 'ip', ['addr', 'add', `${address}/24`, 'dev', `eth0.${VLAN}`]);
      await lab.net.exec(ns, 'ip', ['link', 'set', `eth0.${VLAN}`, 'up']);
    }
    lab.net.spawnIn(dhcp, 'dnsmasq', [
      '--keep-in-foreground',
      '--log-facility=-',
      '--conf-file=/dev/null',
      '--port=0',
      `--interface=eth0.${VLAN}`,
      '--bind-interfaces',
      '--user=root',
      '--no-ping',
      `--dhcp-range=${NET}.100,${NET}.150,255.255.255.0,10m`,
      `--dhcp-option=option:router,${GATEWAY}`,
      `--dhcp-leasefile=${join(lab.net.tmpDir, 'dnsmasq-vlan.leases')}`,
    ]);
    // An untagged host on the same bridge, in the VLAN's subnet: it must not reach the VLAN.
    untagged = await lab.net.addLanHost('utg', `${UNTAGGED}/24`);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('static: up creates lni0.42 (its sysctls after the link) with the address; the VLAN device reaches the node, the untagged one does not; diagnose passes', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['up'], {
      config: base({ mode: 'static', address: `${NET}.11/24`, gateway: GATEWAY }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await addrs(node, ifname)).toEqual([`${NET}.11/24`]);
    expect(await addrs(node, 'lni0')).toEqual([]);
    const sysctl = (
      await lab.net.exec(node.ns, 'cat', [`/proc/sys/net/ipv4/conf/${ifname}/arp_ignore`])
    ).stdout.trim();
    expect(sysctl).toBe('1');
    expect(await ping(lab.net.ns.dev, `${NET}.11`, { count: 2 })).toBe(true);
    expect(await ping(untagged, `${NET}.11`, { count: 2, timeoutSec: 2 })).toBe(false);
    const d = await lab.agent(node, ['diagnose', '--json']);
    const report = JSON.parse(d.stdout) as { checks: { id: string; group: string; status: string }[] };
    const bad = report.checks.filter(
      (c) => ['lni', 'routing'].includes(c.group) && !['pass', 'skip'].includes(c.status),
    );
    expect(bad, JSON.stringify(bad)).toEqual([]);
  });

  it('watch restores a removed VLAN address', async () => {
    const node = lab.node(1);
    const watcher = lab.spawnAgent(node, ['watch'], { timeoutMs: 300_000 });
    let log = '';
    watcher.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
    });
    try {
      await msUntil(async () => log.includes('watch: started'), 120_000);
      await lab.net.exec(node.ns, 'ip', ['addr', 'flush', 'dev', ifname]);
      const took = await msUntil(async () => (await addrs(node, ifname)).includes(`${NET}.11/24`), 60_000);
      console.log(`watch put the VLAN address back after ${took} ms`);
    } finally {
      watcher.kill('SIGTERM');
      await watcher.catch(() => undefined);
    }
  });

  it('a pod behind a MetalLB address and an ipvlan pod on lni0.42 are reached from the VLAN, over the VLAN', async () => {
    const node = lab.node(1);
    await setUpNodeWorkloads(lab, node, {
      lniName: ifname,
      serviceIps: { primaryEniPod: `${NET}.240`, secondaryEniPod: `${NET}.241` },
    });
    const viaLb = await httpGet(lab.net.ns.dev, `http://${NET}.240/`);
    expect(JSON.parse(viaLb.body)).toMatchObject({ ns: 'pod-a', remote: DEVICE });
    const pod = await LabPod.start(lab.net, node.ns, {
      name: 'pod-vlan',
      ip: '10.20.1.212',
      hostVeth: 'enipodvlan',
    });
    await addIpvlanNet1(lab.net, node.ns, pod, ifname, `${NET}.62/24`);
    await pod.serveHttp(8080);
    const direct = await httpGet(lab.net.ns.dev, `http://${NET}.62:8080/`);
    expect(JSON.parse(direct.body)).toMatchObject({ ns: 'pod-vlan', remote: DEVICE });
    expect(await ping(untagged, `${NET}.62`, { count: 1, timeoutSec: 2 })).toBe(false);
  });

  it('release removes the VLAN link and leaves the LNI as it found it', async () => {
    const node = lab.node(1);
    const r = await lab.agent(node, ['release']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(
      (await lab.net.exec(node.ns, 'ip', ['link', 'show', ifname], { reject: false })).exitCode,
    ).not.toBe(0);
    expect(lab.ownedEnis(node)).toEqual([]);
  });

  it('dhcp: the lease comes from the VLAN’s DHCP server, on lni0.42', async () => {
    const node = lab.node(2);
    const r = await lab.agent(node, ['up'], { config: base({ mode: 'dhcp', timeoutSeconds: 60 }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const [lease] = await addrs(node, ifname);
    expect(lease).toMatch(new RegExp(`^${NET.replace(/\./g, '\\.')}\\.1[0-4]\\d/24$`));
    expect(await ping(lab.net.ns.dev, lease?.split('/')[0] ?? '', { count: 2 })).toBe(true);
  });

  it('pool: probes on the VLAN, skips the address the device holds, and claims the next', async () => {
    const node = lab.node(3);
    await lab.net.exec(lab.net.ns.dev, 'ip', ['addr', 'add', `${NET}.200/24`, 'dev', `eth0.${VLAN}`]);
    const r = await lab.agent(node, ['up'], {
      config: base({
        mode: 'pool',
        start: `${NET}.200`,
        end: `${NET}.210`,
        prefixLength: 24,
        gateway: GATEWAY,
      }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await addrs(node, ifname)).toEqual([`${NET}.201/24`]);
    expect(await ping(lab.net.ns.dev, `${NET}.201`, { count: 2 })).toBe(true);
  });
});
