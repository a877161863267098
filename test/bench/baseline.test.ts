// The benchmarks' baseline (bench/baseline/userdata-lni.sh) really works: same end state in the lab as the agent's `up`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_ARGV, baselineEnv, benchConfig, CLUSTER, lanAddress } from '../../bench/lib/bench-lab.ts';
import { Lab, type LabNode } from '../lab/lab.ts';

/**
 * The LNI's host configuration that both must reach (address, link, the source rule, the policy table, sysctls),
 * with its name and address replaced so two nodes compare. The agent's extras (a stable interface name, rules and
 * SNAT for pod traffic, network-manager fences) are not part of the baseline and not compared.
 */
async function lniEndState(lab: Lab, node: LabNode): Promise<string> {
  const address = lanAddress(node.n);
  const eni = lab.ownedEnis(node)[0];
  const ifname = (await lab.net.linkByMac(node.ns, eni?.macAddress ?? ''))?.ifname ?? 'none';
  const sh = async (script: string) => (await lab.net.exec(node.ns, 'sh', ['-c', script])).stdout;
  const state = await sh(
    [
      `ip -4 -o addr show dev ${ifname} | awk '{print $4}'`,
      `ip -d -o link show dev ${ifname} | grep -o 'mtu [0-9]*\\|state [A-Z]*'`,
      `ip rule show | grep 'from ${address} '`,
      'ip route show table 200',
      `cd /proc/sys/net/ipv4/conf/${ifname} && grep -H . arp_ignore arp_announce rp_filter`,
    ].join('; echo --; '),
  );
  return state.replaceAll(ifname, 'LNI').replaceAll(address, 'ADDRESS');
}

describe('the baseline userdata script', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 2 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('leaves one tagged LNI attached with DeleteOnTermination and the same address, rule, table and sysctls as up', async () => {
    const [agentNode, baselineNode] = [lab.node(1), lab.node(2)];
    const up = await lab.agent(agentNode, ['up'], { config: benchConfig(agentNode) });
    expect(up.exitCode, up.stderr).toBe(0);
    const [cmd = '', ...args] = BASELINE_ARGV;
    const baseline = await lab.net.exec(baselineNode.ns, cmd, args, {
      env: { ...baselineNode.env, ...baselineEnv(baselineNode) },
      extendEnv: false,
      reject: false,
    });
    expect(baseline.exitCode, String(baseline.stderr)).toBe(0);

    for (const node of [agentNode, baselineNode]) {
      const owned = lab.ownedEnis(node);
      expect(owned).toHaveLength(1);
      expect(owned[0]?.attachment).toMatchObject({
        deviceIndex: 1,
        status: 'attached',
        deleteOnTermination: true,
      });
      expect(owned[0]?.tags).toEqual(
        expect.arrayContaining([
          { key: 'node.k8s.amazonaws.com/no_manage', value: 'true' },
          { key: 'outposts-node-agent:cluster', value: CLUSTER },
        ]),
      );
    }
    const expected = await lniEndState(lab, agentNode);
    expect(expected).toContain('from ADDRESS lookup 200');
    expect(expected).toContain('default via 192.0.2.1 dev LNI');
    expect(await lniEndState(lab, baselineNode)).toBe(expected);
  });
});
