// diagnose/preflight in the lab: each check driven to its outcomes by breaking the lab, read-only, schema-valid.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_NO_MANAGE } from '../../agent/model/tags.ts';
import { Lab, type LabNode } from '../lab/lab.ts';
import { LAB_ADDRS } from '../lab/net/index.ts';
import { diagnoseJson, expectStatuses, startKubelet } from './diagnose-helpers.ts';
import { callsFrom, hostSnapshot, lastSeq, staticConfig } from './helpers.ts';

const ADDRESS = '192.0.2.41';
const BOTTLEROCKET_LIKE = 'ami-0a1b2c3d4e5f60002';

describe('diagnose', () => {
  let lab: Lab;
  let node: LabNode;
  let fresh: LabNode;
  let ifname: string;
  let eniId: string;
  let attachmentId: string;
  let labels: Record<string, string>;
  const sh = (args: string[], ns = node.ns) => lab.net.exec(ns, args[0] ?? 'true', args.slice(1));
  const goodKubelet = () =>
    startKubelet(lab, node, [
      `--node-ip=${node.primaryIp}`,
      `--node-labels=${Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    ]);

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2 });
    node = lab.node(1);
    fresh = lab.node(2);
    const up = await lab.agent(node, ['up'], { config: staticConfig(ADDRESS) });
    expect(up.exitCode, up.stderr).toBe(0);
    const state = (await lab.readState(node)) as {
      eni: { id: string; attachmentId: string };
      host: { ifname: string };
      join: { labels: Record<string, string> };
    };
    ({ id: eniId, attachmentId } = state.eni);
    ifname = state.host.ifname;
    labels = state.join.labels;
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('passes every check on a converged node, exits 0, and changes nothing (no mutating call, same ip -json)', async () => {
    const kubelet = await goodKubelet();
    try {
      const before = await hostSnapshot(lab, node);
      const since = lastSeq(lab);
      const d = await diagnoseJson(lab, node);
      expect(d.run.exitCode, d.run.stdout).toBe(0);
      // Static addressing: the DHCP client check has nothing to look at.
      const notPass = d.report.checks.filter(
        (c) =>
          c.status !== 'pass' &&
          c.id !== 'imds.latency' &&
          !(c.id === 'lni.dhcp-client' && c.status === 'skip'),
      );
      expect(notPass, JSON.stringify(notPass, null, 2)).toEqual([]);
      expect(d.report.instanceId).toBe(node.instanceId);
      expect(d.check('routing.replies-via-lni').observed).toContain(
        `203.0.113.1 from ${ADDRESS} → 203.0.113.1 via`,
      );
      expect(d.check('kubernetes.node-ip').observed).toContain('command line');

      const calls = callsFrom(lab, node, since);
      expect(calls.filter((c) => c.mutating && !c.dryRun)).toEqual([]);
      expect(calls.filter((c) => c.dryRun).length).toBeGreaterThanOrEqual(10);
      expect(await hostSnapshot(lab, node)).toBe(before);

      // Not a TTY: the table without colour, whole lines.
      const text = await lab.agent(node, ['diagnose']);
      expect(text.exitCode).toBe(0);
      expect(text.stdout).not.toContain('\x1b[');
      expect(text.stdout).toMatch(/PASS {2}routing\.replies-via-lni +192\.0\.2\.1 from/);
    } finally {
      await kubelet.stop();
    }
  });

  it("fails each broken piece with its hint, including the seed's bug: replies to the LAN leaving by eth0", async () => {
    const instance = lab.state.getInstance(node.instanceId);
    const imageId = instance?.imageId ?? '';
    const statePath = node.statePath;
    const stateText = await readFile(statePath, 'utf8');
    const lockPath = join(node.dir, 'agent.lock');
    const dead = execa('true');
    await dead;
    const privateIp = lab.state.getEni(eniId)?.privateIpAddress ?? '';
    // The seed's failure: no policy rule, so replies from the LNI address follow main's default via eth0.
    await sh(['ip', 'rule', 'del', 'priority', '2000']);
    await sh(['sysctl', '-qw', `net.ipv4.conf.${ifname}.arp_ignore=0`]);
    await sh(['ip', 'link', 'set', 'dev', ifname, 'mtu', '9000']);
    await sh(['ip', 'addr', 'add', `${privateIp}/32`, 'dev', ifname]);
    lab.state.deleteTags([eniId], [{ key: TAG_NO_MANAGE }]);
    lab.state.modifyNetworkInterfaceAttribute({
      networkInterfaceId: eniId,
      attachment: { attachmentId, deleteOnTermination: false },
    });
    lab.state.deny('CreateNetworkInterface');
    if (instance) instance.imageId = BOTTLEROCKET_LIKE;
    lab.imds.setImdsV1Allowed(true);
    const kubelet = await startKubelet(lab, node, [`--node-ip=${ADDRESS}`]);
    await writeFile(lockPath, `${dead.pid}\n`);
    const broken = JSON.parse(stateText);
    broken.lastUp = {
      at: broken.lastUp.at,
      ok: false,
      durationMs: 12,
      message: 'EC2 CreateNetworkInterface failed',
    };
    await writeFile(statePath, JSON.stringify(broken));
    try {
      const d = await diagnoseJson(lab, node);
      expect(d.run.exitCode).toBe(8);
      expectStatuses(d, {
        'routing.rule': 'fail',
        'routing.replies-via-lni': 'fail',
        'lni.sysctls': 'fail',
        'lni.interface': 'fail',
        'lni.address': 'fail',
        'lni.tags': 'fail',
        'lni.delete-on-termination': 'fail',
        'permissions.create-network-interface': 'fail',
        'ami.single-snapshot': 'fail',
        'imds.v1-disabled': 'warn',
        'kubernetes.node-ip': 'fail',
        'kubernetes.node-labels': 'fail',
        'agent.lock': 'warn',
        'agent.last-up': 'fail',
        'routing.table': 'pass',
        'permissions.describe-subnets': 'pass',
      });
      const replies = d.check('routing.replies-via-lni');
      expect(replies.observed).toContain(`203.0.113.1 from ${ADDRESS} → 203.0.113.1 via 10.20.1.1 dev eth0`);
      expect(replies.hint).toMatch(/leave by eth0, not the LNI/);
      expect(d.check('routing.rule').hint).toContain(`ip rule add from ${ADDRESS} lookup 200 priority 2000`);
      expect(d.check('lni.sysctls').observed).toContain(`${ifname}.arp_ignore=0`);
      expect(d.check('lni.interface').observed).toBe(`${ifname} UP mtu 9000`);
      expect(d.check('lni.address').hint).toContain(`EC2 private IP ${privateIp}`);
      expect(d.check('lni.tags').observed).toContain(`lacks ${TAG_NO_MANAGE}=true`);
      expect(d.check('lni.delete-on-termination').hint).toContain('DeleteOnTermination=true');
      const denied = d.check('permissions.create-network-interface');
      expect(denied.observed).toContain('UnauthorizedOperation');
      expect(denied.hint).toContain('ec2:CreateNetworkInterface');
      expect(d.check('ami.single-snapshot').observed).toContain(`${BOTTLEROCKET_LIKE} (bottlerocket`);
      expect(d.check('ami.single-snapshot').hint).toMatch(/single-snapshot AMIs/);
      expect(d.check('imds.v1-disabled').hint).toContain(
        `--instance-id ${node.instanceId} --http-tokens required`,
      );
      expect(d.check('kubernetes.node-ip').hint).toMatch(/advertises the LAN address/);
      expect(d.check('agent.lock').observed).toBe(`held by pid ${dead.pid}, which is not running`);
      expect(d.check('agent.last-up').observed).toContain('EC2 CreateNetworkInterface failed');

      // The table on stdout says the same, with the hint under the failed line.
      const text = await lab.agent(node, ['diagnose']);
      expect(text.exitCode).toBe(8);
      expect(text.stdout).toMatch(
        /FAIL {2}routing\.replies-via-lni .*\n +expected: dev .*\n +hint: replies from/,
      );
    } finally {
      await kubelet.stop();
      await writeFile(statePath, stateText);
      await rm(lockPath, { force: true });
      lab.imds.setImdsV1Allowed(false);
      if (instance) instance.imageId = imageId;
      lab.state.allow('CreateNetworkInterface');
      lab.state.createTags([eniId], [{ key: TAG_NO_MANAGE, value: 'true' }]);
      lab.state.modifyNetworkInterfaceAttribute({
        networkInterfaceId: eniId,
        attachment: { attachmentId, deleteOnTermination: true },
      });
      await sh(['ip', 'addr', 'del', `${privateIp}/32`, 'dev', ifname]);
      await sh(['ip', 'link', 'set', 'dev', ifname, 'mtu', '1500']);
      await sh(['sysctl', '-qw', `net.ipv4.conf.${ifname}.arp_ignore=1`]);
      await sh(['ip', 'rule', 'add', 'from', ADDRESS, 'lookup', '200', 'priority', '2000']);
    }
  });

  it('fails the default route, gateway ARP, table, subnet index, outpost, kubelet and state checks when those break', async () => {
    const subnet = lab.state.getSubnet(lab.state.getInstance(node.instanceId)?.subnetId ?? '');
    const outpostArn = subnet?.outpostArn;
    const stateText = await readFile(node.statePath, 'utf8');
    const lockPath = join(node.dir, 'agent.lock');
    const env = join(node.hostRoot, 'etc/eks/kubelet/environment');
    const labelFlag = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    await sh(['ip', 'route', 'add', 'default', 'via', LAB_ADDRS.lanGateway, 'dev', ifname, 'metric', '500']);
    await sh(['ip', 'route', 'del', 'default', 'table', '200']);
    await sh(['ip', 'addr', 'del', `${LAB_ADDRS.lanGateway}/24`, 'dev', 'br0'], lab.net.ns.lan);
    if (subnet) {
      subnet.enableLniAtDeviceIndex = undefined;
      subnet.outpostArn = undefined;
    }
    await sh(['mkdir', '-p', join(node.hostRoot, 'etc/eks/kubelet')]);
    await writeFile(env, `NODEADM_KUBELET_ARGS=--hostname-override=x --node-labels=${labelFlag}\n`);
    await writeFile(lockPath, `${process.pid}\n`);
    const moved = JSON.parse(stateText);
    moved.eni.id = 'eni-0123456789abcdef0';
    await writeFile(node.statePath, JSON.stringify(moved));
    try {
      const d = await diagnoseJson(lab, node);
      expectStatuses(d, {
        'routing.default-route': 'fail',
        'routing.gateway-arp': 'fail',
        'routing.table': 'fail',
        'routing.rule': 'pass',
        'lni.subnet': 'fail',
        'lni.attached': 'skip',
        'placement.outpost': 'fail',
        'kubernetes.kubelet': 'fail',
        'kubernetes.node-ip': 'warn',
        'kubernetes.node-labels': 'pass',
        'agent.lock': 'pass',
        'agent.state': 'fail',
        'lni.interface': 'pass',
      });
      expect(d.check('routing.default-route').hint).toMatch(/default route on the LNI/);
      expect(d.check('routing.gateway-arp').observed).toBe(
        `no ARP answer from 192.0.2.1 on ${ifname} within 1000 ms`,
      );
      expect(d.check('routing.table').observed).not.toContain('default');
      expect(d.check('lni.subnet').hint).toContain('--enable-lni-at-device-index 1');
      expect(d.check('lni.attached').observed).toMatch(/^needs the LNI subnet: .*no LNI device index/);
      expect(d.check('placement.outpost').observed).toContain('not on an outpost');
      expect(d.check('kubernetes.node-labels').observed).toContain('/etc/eks/kubelet/environment');
      expect(d.check('agent.lock').observed).toBe(`held by running pid ${process.pid} (a run in progress)`);
      expect(d.check('agent.state').observed).toContain(`it records ${moved.eni.id}`);

      // Off an outpost on purpose (testing): a warn, not a fail.
      const relaxed = await diagnoseJson(lab, node, {
        config: staticConfig(ADDRESS, { preflight: { requireOutpost: false } }),
      });
      expect(relaxed.check('placement.outpost').status).toBe('warn');
    } finally {
      await lab.writeConfig(node, staticConfig(ADDRESS));
      await writeFile(node.statePath, stateText);
      await rm(lockPath, { force: true });
      await rm(env, { force: true });
      if (subnet) {
        subnet.enableLniAtDeviceIndex = 1;
        subnet.outpostArn = outpostArn;
      }
      await sh(['ip', 'addr', 'add', `${LAB_ADDRS.lanGateway}/24`, 'dev', 'br0'], lab.net.ns.lan);
      await sh(['ip', 'route', 'add', 'default', 'via', LAB_ADDRS.lanGateway, 'dev', ifname, 'table', '200']);
      await sh([
        'ip',
        'route',
        'del',
        'default',
        'via',
        LAB_ADDRS.lanGateway,
        'dev',
        ifname,
        'metric',
        '500',
      ]);
    }
  });

  it('warns on a slow IMDS, fails a refused IMDSv2 token read, and checks configured on-prem routes', async () => {
    lab.imds.faults.set({ kind: 'latency', latencyMs: 400 });
    try {
      const slow = await diagnoseJson(lab, node, {
        config: staticConfig(ADDRESS, { routes: { onPrem: [LAB_ADDRS.onPremCidr] } }),
      });
      expectStatuses(slow, {
        'imds.latency': 'warn',
        'imds.reachable': 'pass',
        'routing.on-prem': 'fail',
      });
      expect(slow.check('routing.on-prem').expected).toBe(
        `${LAB_ADDRS.onPremCidr} via 192.0.2.1 dev ${ifname}`,
      );
      lab.imds.faults.set({ kind: 'unauthorized' });
      const refused = await diagnoseJson(lab, node, { config: staticConfig(ADDRESS) });
      expectStatuses(refused, {
        'imds.reachable': 'pass',
        'imds.v2': 'fail',
        'placement.outpost': 'skip',
        // The host side does not need IMDS: the LNI is known from the state file.
        'lni.interface': 'pass',
      });
      expect(refused.check('imds.v2').observed).toBe('read with the token: HTTP 401');
    } finally {
      lab.imds.faults.clear();
    }
  });

  it('on a node where up never ran: the LNI is missing, host checks skip, the agent checks warn', async () => {
    const config = staticConfig('192.0.2.42', { join: { mode: 'none' } });
    const d = await diagnoseJson(lab, fresh, { config });
    expect(d.run.exitCode).toBe(8);
    expectStatuses(d, {
      'lni.subnet': 'pass',
      'lni.attached': 'fail',
      'lni.tags': 'skip',
      'lni.interface': 'skip',
      'routing.rule': 'skip',
      'routing.pod-snat': 'skip',
      'kubernetes.kubelet': 'skip',
      'permissions.create-network-interface': 'pass',
      'permissions.attach-network-interface': 'skip',
      'agent.state': 'warn',
      'agent.last-up': 'warn',
      'agent.lock': 'pass',
    });
    expect(d.check('lni.attached').hint).toContain('outposts-node-agent up');
    expect(d.check('lni.interface').observed).toContain('no interface is attached at device index 1');
  });

  it('preflight runs only the config, placement, AMI, subnet, the DHCP client and permissions, and fails on a denied action', async () => {
    const ok = await diagnoseJson(lab, fresh, { command: 'preflight' });
    expect(ok.report.command).toBe('preflight');
    expect(ok.run.exitCode).toBe(0);
    expect(new Set(ok.report.checks.map((c) => c.group))).toEqual(
      new Set(['config', 'placement', 'ami', 'lni', 'permissions']),
    );
    expect(ok.report.checks.filter((c) => c.group === 'lni').map((c) => c.id)).toEqual([
      'lni.subnet',
      'lni.dhcp-client',
    ]);
    lab.state.deny('DescribeImages');
    try {
      const denied = await diagnoseJson(lab, fresh, { command: 'preflight' });
      expect(denied.run.exitCode).toBe(8);
      expectStatuses(denied, {
        'permissions.describe-images': 'fail',
        'ami.single-snapshot': 'fail',
      });
      expect(denied.check('permissions.describe-images').hint).toContain('ec2:DescribeImages');
    } finally {
      lab.state.allow('DescribeImages');
    }
  });
});
