// Where the VPC CNI wrote its rules with iptables-legacy (AL2, or aws-node picking legacy), the agent's SNAT goes there too; release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { type HttpService, LAB_ADDRS } from '../lab/net/index.ts';
import { type NodeWorkloads, setUpNodeWorkloads } from '../lab/workloads/node-workloads.ts';
import { staticConfig } from './helpers.ts';

const LNI_ADDRESS = '192.0.2.11';

describe('SNAT in the CNI’s iptables flavour', () => {
  let lab: Lab;
  let node: LabNode;
  let w: NodeWorkloads;
  let device: HttpService;
  const save = async (flavour: 'nft' | 'legacy') =>
    (await lab.net.exec(node.ns, `iptables-${flavour}-save`, ['-t', 'nat'])).stdout;

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    w = await setUpNodeWorkloads(lab, node, { iptables: 'iptables-legacy' });
    const r = await lab.agent(node, ['up'], { config: staticConfig(LNI_ADDRESS) });
    expect(r.exitCode, r.stderr).toBe(0);
    device = await lab.net.serveHttp(lab.net.ns.dev, LAB_ADDRS.device, 8080);
  });
  afterAll(async () => {
    await device?.stop();
    await lab?.destroy();
  });

  it('puts its chain first in the legacy nat table although `iptables` is nft here, and pods reach the LAN as the LNI', async () => {
    expect((await lab.net.exec(node.ns, 'iptables', ['-V'])).stdout).toContain('nf_tables');
    const legacy = (await save('legacy')).split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
    expect(legacy[0]).toContain('-j OUTPOSTS-LNI-SNAT');
    expect(legacy[1]).toContain('-j AWS-SNAT-CHAIN-0');
    expect(await save('nft')).not.toContain('OUTPOSTS-LNI-SNAT');
    expect(await w.primaryEniPod.httpGet(`http://${LAB_ADDRS.device}:8080/`)).toMatchObject({
      remote: LNI_ADDRESS,
    });
    expect(((await lab.readState(node)) as { snat?: { backend: string } }).snat?.backend).toBe('legacy');
  });

  it('release removes the chain, its jump and the LAN rule it recorded, and leaves the CNI alone', async () => {
    const state = (await lab.readState(node)) as { snat?: { dstRules: unknown[] } };
    expect(state.snat?.dstRules).toEqual([{ to: '192.0.2.0/24', table: 200, priority: 1530 }]);
    const r = await lab.agent(node, ['release']);
    expect(r.exitCode, r.stderr).toBe(0);
    const legacy = await save('legacy');
    expect(legacy).not.toContain('OUTPOSTS-LNI-SNAT');
    expect(legacy).toContain('-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0');
    expect((await lab.net.exec(node.ns, 'ip', ['rule', 'show', 'priority', '1530'])).stdout).toBe('');
    expect((await lab.readState(node))?.snat).toBeUndefined();
  });
});
