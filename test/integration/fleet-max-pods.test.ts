// max-pods that counts the LNI: the stand-in bootstrap.sh / nodeadm receive the corrected value.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { NODECONFIG_PATH } from '../../agent/adapters/joiner-eks.ts';
import { DEFAULT_FIXTURE_PATH, loadFixture } from '../lab/ec2/fixture.ts';
import { Lab } from '../lab/lab.ts';
import { staticConfig } from './helpers.ts';

describe('max-pods', () => {
  let lab: Lab;
  beforeAll(async () => {
    const fixture = await loadFixture(DEFAULT_FIXTURE_PATH);
    const types = ['c6id.large', 'c6gd.xlarge', 'c6gd.4xlarge', 'c6id.large'];
    fixture.instances = types.map((instanceType, k) => ({
      ...fixture.instances?.[0],
      instanceId: `i-0a1b2c3d4e5f7000${k + 1}`,
      instanceType,
      privateIpAddress: `10.20.1.${11 + k}`,
    }));
    lab = await Lab.start({ nodes: 4, fixture });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('AL2 c6id.large: bootstrap.sh gets --use-max-pods false and --max-pods=20 (29 counts the LNI)', async () => {
    const node = lab.node(1);
    await lab.setDistro(node, 'al2');
    const r = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.91') });
    expect(r.exitCode, r.stderr).toBe(0);
    const args = (await readFile(join(node.dir, 'join.args'), 'utf8')).trim().split('\n');
    expect(args).toContain('--use-max-pods');
    expect(args[args.indexOf('--use-max-pods') + 1]).toBe('false');
    expect(args.at(-1)).toContain('--max-pods=20');
  });

  it.each([
    [2, 'c6gd.xlarge', 44],
    // The AMI sets 234 here, uncapped (nodeadm, eni-max-pods.txt); 110 would be the standalone calculator's cap.
    [3, 'c6gd.4xlarge', 205],
  ])('AL2023 node %i (%s): NodeConfig spec.kubelet.config.maxPods = %i', async (n, _type, expected) => {
    const node = lab.node(n);
    const r = await lab.agent(node, ['up'], { config: staticConfig(`192.0.2.9${n}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    const config = YAML.parse(await readFile(join(node.hostRoot, NODECONFIG_PATH), 'utf8'));
    expect(config.spec.kubelet.config.maxPods).toBe(expected);
  });

  it('an explicit number overrides, and off leaves max-pods to the AMI', async () => {
    const node = lab.node(4);
    const r = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.94', { join: { maxPods: 17 } }),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(
      YAML.parse(await readFile(join(node.hostRoot, NODECONFIG_PATH), 'utf8')).spec.kubelet.config.maxPods,
    ).toBe(17);
    await lab.agent(node, ['release']);
    const off = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.94', { join: { maxPods: 'off' } }),
    });
    expect(off.exitCode, off.stderr).toBe(0);
    expect(
      YAML.parse(await readFile(join(node.hostRoot, NODECONFIG_PATH), 'utf8')).spec.kubelet.config,
    ).toBeUndefined();
  });
});
