// The join step per distro, against stand-in bootstrap.sh / nodeadm that record what they were given.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { NODECONFIG_PATH } from '../../agent/adapters/joiner-eks.ts';
import { renderUserdata } from '../../scripts/userdata/render.ts';
import { LAB_EKS_CLUSTER, Lab, type LabDistro, type LabNode } from '../lab/lab.ts';
import { effectiveKubeletFlags } from '../lab/os/nodeadm.ts';
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

  it("al2023: writes only its nodeadm.d drop-in; the AMI's nodeadm-run then keeps the user data NodeConfig's taints, labels, kubelet config and service CIDR, with the agent's node IP, LNI labels and max-pods", async () => {
    const node = lab.node(3);
    await lab.setDistro(node, 'al2023');
    // The user's NodeConfig, in the user data as the renderer makes it; the agent config has endpoint and CA but
    // no serviceCidr.
    const cluster = {
      name: CLUSTER,
      apiServerEndpoint: LAB_EKS_CLUSTER.endpoint,
      certificateAuthority: LAB_EKS_CLUSTER.certificateAuthority,
    };
    lab.setUserData(
      node,
      renderUserdata({
        os: 'al2023',
        configYaml: YAML.stringify({ cluster: { name: CLUSTER } }),
        nodeConfigYaml: YAML.stringify({
          apiVersion: 'node.eks.aws/v1alpha1',
          kind: 'NodeConfig',
          spec: {
            cluster: {
              name: CLUSTER,
              apiServerEndpoint: LAB_EKS_CLUSTER.endpoint,
              certificateAuthority: LAB_EKS_CLUSTER.certificateAuthority,
              cidr: LAB_EKS_CLUSTER.serviceIpv4Cidr,
            },
            kubelet: {
              config: { shutdownGracePeriod: '30s', evictionHard: { 'memory.available': '200Mi' } },
              flags: [
                '--register-with-taints=site.example.com/edge=true:NoSchedule',
                '--node-labels=team=ran',
              ],
            },
          },
        }),
        version: '0.0.0-test',
      }),
    );
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.43', { cluster }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const dropIn = YAML.parse(await read(join(node.hostRoot, NODECONFIG_PATH)));
    expect(dropIn.spec.cluster).toEqual(cluster);
    expect(r.logs.find((l) => l.path === NODECONFIG_PATH)?.msg).toMatch(/nodeadm-run\.service merges it/);

    // Then, after cloud-final, the AMI's nodeadm-run.service.
    const run = await lab.nodeadmRun(node);
    expect(run.exitCode, run.stderr).toBe(0);
    const kubelet = effectiveKubeletFlags(run.result?.kubeletFlags ?? []);
    expect(kubelet.scalars['node-ip']).toBe(node.primaryIp);
    expect(kubelet.taints).toEqual(['site.example.com/edge=true:NoSchedule']);
    expect(kubelet.labels).toMatchObject({
      team: 'ran',
      'outposts-node-agent/lni-address': '192.0.2.43',
      'outposts-node-agent/outpost-id': 'op-0123456789abcdef0',
    });
    expect(run.result?.kubeletConfig.clusterDNS).toEqual([LAB_EKS_CLUSTER.dnsIp]);
    expect(run.result?.userKubeletConfig).toMatchObject({
      shutdownGracePeriod: '30s',
      evictionHard: { 'memory.available': '200Mi' },
      maxPods: 44, // c6id.2xlarge: 4 ENIs × 14 + 2 = 58 by the AMI, 44 without the LNI's
    });

    // Negative control: what the agent did before with endpoint and CA configured — its own `nodeadm init` over its
    // drop-in alone — stops for want of the CIDR, and would have lost every user setting.
    const alone = await lab.nodeadmRun(node, [`file://${NODECONFIG_PATH}`]);
    expect(alone.exitCode).toBe(1);
    expect(alone.logs.find((l) => l.msg === 'Command failed')?.error).toBe(
      'CIDR is missing in cluster configuration',
    );

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
