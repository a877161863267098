// Pods reach the LAN with the LNI address as source (SNAT ahead of the VPC CNI's), idempotently; off, they cannot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { type HttpService, LAB_ADDRS } from '../lab/net/index.ts';
import { type NodeWorkloads, setUpNodeWorkloads } from '../lab/workloads/node-workloads.ts';
import { diagnoseJson } from './diagnose-helpers.ts';
import { msUntil, staticConfig } from './helpers.ts';

const LNI_ADDRESS = '192.0.2.11';
const CONFIG = staticConfig(LNI_ADDRESS, { routes: { onPrem: [LAB_ADDRS.onPremCidr] } });
const DEVICE_URL = `http://${LAB_ADDRS.device}:8080/`;

describe('pod egress to the LAN by the LNI', () => {
  let lab: Lab;
  let node: LabNode;
  let w: NodeWorkloads;
  let device: HttpService;
  const natTable = async () => (await lab.net.exec(node.ns, 'iptables-save', ['-t', 'nat'])).stdout;
  const postrouting = async () =>
    (await natTable()).split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
  /** SYNs the device received from eth0's address (what the VPC CNI's SNAT would make of pod traffic). */
  const synsFromEth0 = async () => {
    const { stdout } = await lab.net.exec(lab.net.ns.dev, 'iptables', [
      '-t',
      'raw',
      '-L',
      'PREROUTING',
      '-n',
      '-v',
      '-x',
    ]);
    return Number(
      stdout
        .split('\n')
        .find((l) => l.includes(node.primaryIp))
        ?.trim()
        .split(/\s+/)[0] ?? 0,
    );
  };

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    // Here the CNI's rules are there first (a re-run of up on a running node); the agent must still go ahead of them.
    w = await setUpNodeWorkloads(lab, node);
    const r = await lab.agent(node, ['up'], { config: CONFIG });
    expect(r.exitCode, r.stderr).toBe(0);
    device = await lab.net.serveHttp(lab.net.ns.dev, LAB_ADDRS.device, 8080);
    await lab.net.exec(lab.net.ns.dev, 'iptables', [
      ...['-t', 'raw', '-A', 'PREROUTING', '-s', node.primaryIp, '-p', 'tcp', '--dport', '8080'],
    ]);
  });
  afterAll(async () => {
    await device?.stop();
    await lab?.destroy();
  });

  it('SNATs pods on the primary and on a secondary ENI to the LNI address, from a chain jumped to ahead of the CNI chain', async () => {
    for (const pod of [w.primaryEniPod, w.secondaryEniPod])
      expect(await pod.httpGet(DEVICE_URL), pod.spec.name).toMatchObject({
        ns: lab.net.ns.dev,
        remote: LNI_ADDRESS,
      });
    const post = await postrouting();
    expect(post[0]).toContain('-j OUTPOSTS-LNI-SNAT');
    expect(post[1]).toContain('-j AWS-SNAT-CHAIN-0');
    expect(await natTable()).toContain(
      `-A OUTPOSTS-LNI-SNAT -s 10.20.0.0/16 -d ${LAB_ADDRS.onPremCidr} -o lni0 -m comment --comment "outposts-node-agent: SNAT to the LNI address" -j SNAT --to-source ${LNI_ADDRESS}`,
    );
    expect(await synsFromEth0()).toBe(0);
  });

  it('is converged on a second up: no iptables or rule change, nothing applied', async () => {
    const before = [await natTable(), (await lab.net.exec(node.ns, 'ip', ['rule'])).stdout];
    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.logs.some((l) => l.step === 'snat-apply')).toBe(false);
    const strip = (s: string) => s.replace(/^#.*$/gm, '');
    expect([strip(await natTable()), (await lab.net.exec(node.ns, 'ip', ['rule'])).stdout]).toEqual([
      strip(before[0] ?? ''),
      before[1],
    ]);
  });

  it("without the agent's SNAT the CNI rewrites pod traffic to eth0's address and the LAN cannot answer; up restores it", async () => {
    const off = await lab.agent(node, ['up'], { config: { ...CONFIG, snat: { enabled: false } } });
    expect(off.exitCode, off.stderr).toBe(0);
    expect(await natTable()).not.toContain('OUTPOSTS-LNI-SNAT');
    await expect(w.primaryEniPod.httpGet(DEVICE_URL, 2)).rejects.toThrow();
    expect(await synsFromEth0()).toBeGreaterThan(0);
    const skipped = (
      await diagnoseJson(lab, node, { config: { ...CONFIG, snat: { enabled: false } } })
    ).check('routing.pod-snat');
    expect(skipped).toMatchObject({
      status: 'skip',
      observed: expect.stringContaining('snat.enabled=false'),
    });

    const on = await lab.agent(node, ['up'], { config: CONFIG });
    expect(on.exitCode, on.stderr).toBe(0);
    expect(await w.primaryEniPod.httpGet(DEVICE_URL)).toMatchObject({ remote: LNI_ADDRESS });
  });

  it("watch moves the agent's jump back ahead of the CNI's when a CNI restart re-inserts its own first", async () => {
    // What aws-node does on start: its jump inserted at the top of nat POSTROUTING, ours now second. Pod traffic
    // to the LAN then leaves with eth0's address and gets no answer.
    const cniJumpFirst = () =>
      lab.net.exec(node.ns, 'iptables', ['-t', 'nat', '-I', 'POSTROUTING', '1', '-j', 'AWS-SNAT-CHAIN-0']);
    const oursFirst = async () => (await postrouting())[0]?.includes('-j OUTPOSTS-LNI-SNAT') ?? false;
    await cniJumpFirst();
    expect((await postrouting())[0]).toContain('-j AWS-SNAT-CHAIN-0');
    await expect(w.primaryEniPod.httpGet(DEVICE_URL, 2)).rejects.toThrow();
    const drifted = (await diagnoseJson(lab, node)).check('routing.pod-snat');
    expect(drifted).toMatchObject({ status: 'fail' });
    expect(drifted.observed).toContain('first in POSTROUTING: -j AWS-SNAT-CHAIN-0');
    expect(drifted.hint).toContain('aws-node restarts');
    // up --dry-run names the repair and makes none.
    const dry = await lab.agent(node, ['up', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would nat-restore (nf_tables|legacy): .*-I POSTROUTING 1/m);
    expect((await postrouting())[0]).toContain('-j AWS-SNAT-CHAIN-0');

    const watcher = lab.spawnAgent(node, ['watch', '--set', 'watch.fullCheckSeconds=2']);
    try {
      const ms = await msUntil(oursFirst, 15_000);
      console.log(`watch put the agent's SNAT jump first again ${ms} ms after it was started`);
      expect(await w.primaryEniPod.httpGet(DEVICE_URL)).toMatchObject({ remote: LNI_ADDRESS });
      expect((await postrouting()).filter((l) => l.includes('-j OUTPOSTS-LNI-SNAT'))).toHaveLength(1);
      expect((await diagnoseJson(lab, node)).check('routing.pod-snat')).toMatchObject({ status: 'pass' });

      // And again while it runs: the periodic check (2 s here) finds the drift without any netlink event.
      await cniJumpFirst();
      await msUntil(oursFirst, 15_000);
    } finally {
      watcher.kill('SIGTERM');
      const end = await watcher;
      expect(end.exitCode, String(end.stderr)).toBe(0);
      expect(String(end.stderr).match(/watch: repaired/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    }
  });
});
