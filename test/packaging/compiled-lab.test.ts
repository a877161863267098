// The compiled x86_64 executable (not the TypeScript under Node) runs up and release on a lab node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER, hostSnapshot, msUntil, staticConfig } from '../integration/helpers.ts';
import { Lab } from '../lab/lab.ts';
import { ensurePackaged, executable, PACKAGE_TIMEOUT_MS } from './artifacts.ts';

describe('compiled executable in the lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    await ensurePackaged();
    // Lab.agentCommand() reads AGENT_BIN on every run; this test file has its own worker process.
    process.env.AGENT_BIN = executable('x86_64');
    lab = await Lab.start({ nodes: 1 });
  }, PACKAGE_TIMEOUT_MS);
  afterAll(async () => {
    await lab?.destroy();
    delete process.env.AGENT_BIN;
  });

  it('runs the lab node through the executable', () => {
    expect(Lab.agentCommand()).toEqual([executable('x86_64')]);
  });

  let pristine = '';

  it('up attaches and configures one tagged LNI', async () => {
    const node = lab.node(1);
    pristine = await hostSnapshot(lab, node);
    const up = await lab.agent(node, ['up'], { config: staticConfig('192.0.2.51') });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('NodeVersionSupportWarning');
    const [eni, ...others] = lab.ownedEnis(node);
    expect(others).toEqual([]);
    expect(eni?.attachment).toMatchObject({ deviceIndex: 1, status: 'attached', deleteOnTermination: true });
    expect(eni?.tags).toEqual(
      expect.arrayContaining([
        { key: 'node.k8s.amazonaws.com/no_manage', value: 'true' },
        { key: 'outposts-node-agent:cluster', value: CLUSTER },
      ]),
    );
    const link = await lab.net.linkByMac(node.ns, eni?.macAddress ?? '');
    const addrs = (await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', link?.ifname ?? '']))
      .stdout;
    expect(addrs).toContain('192.0.2.51/24');
  });

  it('watch (Bun.spawn for ip and ip monitor) puts back a deleted rule and a flushed address', async () => {
    const node = lab.node(1);
    const sh = async (...args: string[]) =>
      String((await lab.net.exec(node.ns, args[0] ?? '', args.slice(1))).stdout);
    const ifname = (await lab.net.linkByMac(node.ns, lab.ownedEnis(node)[0]?.macAddress ?? ''))?.ifname ?? '';
    const watcher = lab.spawnAgent(node, ['watch']);
    try {
      let seen = '';
      await new Promise<void>((resolve) =>
        watcher.stderr?.on('data', (c: Buffer) => {
          seen += c.toString();
          if (seen.includes('watch: started')) resolve();
        }),
      );
      await sh('ip', 'rule', 'del', 'priority', '2000');
      const rule = await msUntil(
        async () => (await sh('ip', 'rule')).includes('from 192.0.2.51 lookup'),
        5000,
      );
      await sh('ip', 'addr', 'flush', 'dev', ifname);
      const addr = await msUntil(
        async () => (await sh('ip', '-4', 'addr', 'show', 'dev', ifname)).includes('192.0.2.51/24'),
        5000,
      );
      console.log(`compiled watch: rule back in ${rule} ms, address in ${addr} ms`);
    } finally {
      watcher.kill('SIGTERM');
    }
    const r = await watcher;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toMatch(/repaired \d+ drifted/);
  });

  it('release removes the LNI and leaves the host as it was', async () => {
    const node = lab.node(1);
    const release = await lab.agent(node, ['release']);
    expect(release.exitCode, release.stderr).toBe(0);
    expect(lab.ownedEnis(node)).toEqual([]);
    await lab.state.settled();
    expect(await hostSnapshot(lab, node)).toBe(pristine);
  });
});
