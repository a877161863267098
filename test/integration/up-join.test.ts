// The join step per distro, against stand-in bootstrap.sh / nodeadm that record what they were given.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { LAB_EKS_CLUSTER, Lab, type LabDistro, type LabNode } from '../lab/lab.ts';
import { CLUSTER, staticConfig } from './helpers.ts';

const read = (path: string) => readFile(path, 'utf8');
/** What the bootstrap.sh stand-in wrote where the real one writes kubelet's config (clusterDNS, maxPods). */
const kubeletConfig = async (node: LabNode) =>
  JSON.parse(await read(join(node.hostRoot, 'etc/kubernetes/kubelet/kubelet-config.json'))) as {
    clusterDNS: string[];
    maxPods?: number;
  };

describe('join', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 6 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.each([
    ['al2', 1],
    ['rhel', 2],
  ] as [LabDistro, number][])(
    '%s: runs bootstrap.sh with the service CIDR (cluster DNS its .10), --node-ip = the eth0 address and the LNI labels',
    async (distro, n) => {
      const node = lab.node(n);
      await lab.setDistro(node, distro);
      const address = `192.0.2.${40 + n}`;
      const config = staticConfig(address, {
        cluster: {
          name: CLUSTER,
          apiServerEndpoint: 'https://example.eks.amazonaws.com',
          certificateAuthority: 'Y2E=',
          serviceCidr: LAB_EKS_CLUSTER.serviceIpv4Cidr,
        },
        join: { nodeLabels: { 'site.example.com/rack': 'r7' }, kubeletExtraArgs: ['--max-pods=58'] },
      });
      const r = await lab.agent(node, ['up'], { config });
      expect(r.exitCode, r.stderr).toBe(0);
      const args = (await read(join(node.dir, 'join.args'))).trim().split('\n');
      expect(args.slice(0, 7)).toEqual([
        CLUSTER,
        '--apiserver-endpoint',
        'https://example.eks.amazonaws.com',
        '--b64-cluster-ca',
        'Y2E=',
        '--service-ipv4-cidr',
        LAB_EKS_CLUSTER.serviceIpv4Cidr,
      ]);
      // max-pods is the agent's (the LNI's ENI taken out), so bootstrap.sh must not compute its own.
      expect(args.slice(7, 9)).toEqual(['--use-max-pods', 'false']);
      expect(args[9]).toBe('--kubelet-extra-args');
      const kubelet = args[10] ?? '';
      // What bootstrap.sh made of them: the cluster's DNS, no maxPods of its own (eni-max-pods.txt counts the LNI).
      expect(await kubeletConfig(node)).toEqual({ clusterDNS: [LAB_EKS_CLUSTER.dnsIp] });
      expect(kubelet).toContain(`--node-ip=${node.primaryIp}`);
      const ifname = (await lab.net.linkByMac(node.ns, lab.ownedEnis(node)[0]?.macAddress ?? ''))?.ifname;
      expect(kubelet).toContain(`outposts-node-agent/lni-address=${address}`);
      expect(kubelet).toContain(`outposts-node-agent/lni-interface=${ifname}`);
      expect(kubelet).toContain('outposts-node-agent/outpost-id=op-0123456789abcdef0');
      expect(kubelet).toContain('site.example.com/rack=r7');
      expect(kubelet).toContain('--max-pods=58');
    },
  );

  it('AL2 cluster DNS: without cluster.serviceCidr, bootstrap.sh given endpoint and CA guesses 172.20.0.10 in this 10.x VPC (wrong for the cluster) and up warns; without endpoint it asks DescribeCluster and gets it right', async () => {
    const node = lab.node(5);
    await lab.setDistro(node, 'al2');
    const guessed = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.45', {
        cluster: { name: CLUSTER, apiServerEndpoint: LAB_EKS_CLUSTER.endpoint, certificateAuthority: 'Y2E=' },
      }),
    });
    expect(guessed.exitCode, guessed.stderr).toBe(0);
    expect((await kubeletConfig(node)).clusterDNS).toEqual(['172.20.0.10']);
    expect(guessed.logs.find((l) => l.key === 'cluster.serviceCidr')?.msg).toMatch(
      /bootstrap\.sh guesses cluster DNS/,
    );

    const other = lab.node(6);
    await lab.setDistro(other, 'al2');
    const described = await lab.agent(other, ['up'], { config: staticConfig('192.0.2.46') });
    expect(described.exitCode, described.stderr).toBe(0);
    expect((await kubeletConfig(other)).clusterDNS).toEqual([LAB_EKS_CLUSTER.dnsIp]);
    expect(described.logs.some((l) => l.key === 'cluster.serviceCidr')).toBe(false);
  });

  it('al2023: runs nodeadm init with a NodeConfig that pins the node IP and carries the labels; skips it when already joined', async () => {
    const node = lab.node(3);
    await lab.setDistro(node, 'al2023');
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.43') });
    expect(r.exitCode, r.stderr).toBe(0);
    const args = (await read(join(node.dir, 'join.args'))).trim().split('\n');
    expect(args).toEqual([
      'init',
      '--config-source',
      'imds://user-data',
      '--config-source',
      `file://${join(node.hostRoot, '/etc/eks/nodeadm.d/20-outposts-node-agent.yaml')}`,
    ]);
    const config = YAML.parse(await read(join(node.dir, 'join.args.config')));
    expect(config).toMatchObject({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: { cluster: { name: CLUSTER } },
    });
    expect(config.spec.kubelet.flags).toContain(`--node-ip=${node.primaryIp}`);
    expect(config.spec.kubelet.flags.join(' ')).toContain('outposts-node-agent/lni-address=192.0.2.43');
    const networkd = await read(
      join(node.hostRoot, 'etc/systemd/network/09-outposts-node-agent-lni.network'),
    );
    expect(networkd).toContain(`PermanentMACAddress=${lab.ownedEnis(node)[0]?.macAddress}`);
    expect(networkd).toContain('Unmanaged=yes');

    const again = await lab.agent(node, ['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.logs.some((l) => l.step === 'join')).toBe(false);
  });

  it('a failing bootstrap exits with the join code 6 after the LNI is configured', async () => {
    const node = lab.node(4);
    await lab.setDistro(node, 'al2');
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.44'),
      env: { STAND_IN_EXIT: '3' },
    });
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toContain('bootstrap.sh exited 3');
    expect((await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr'])).stdout).toContain('192.0.2.44/24');
    expect(((await lab.readState(node)) as { lastUp: { ok: boolean } }).lastUp.ok).toBe(false);
  });
});
