// `watch`: puts back a deleted rule, a flushed address and a changed sysctl within seconds; exits on SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { msUntil, staticConfig } from './helpers.ts';

describe('watch', () => {
  let lab: Lab;
  let node: LabNode;
  let ifname = '';
  let watcher: ReturnType<Lab['spawnAgent']>;
  const sh = async (...args: string[]) =>
    String((await lab.net.exec(node.ns, args[0] ?? '', args.slice(1))).stdout);

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    const up = await lab.agent(node, ['up'], {
      config: staticConfig('192.0.2.61', { watch: { sysctlCheckSeconds: 1 } }),
    });
    expect(up.exitCode, up.stderr).toBe(0);
    ifname = (await lab.net.linkByMac(node.ns, lab.ownedEnis(node)[0]?.macAddress ?? ''))?.ifname ?? '';
    watcher = lab.spawnAgent(node, ['watch']);
    let seen = '';
    await new Promise<void>((resolve) =>
      watcher.stderr?.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('watch: started')) resolve();
      }),
    );
  });
  afterAll(async () => {
    watcher?.kill('SIGKILL');
    await lab?.destroy();
  });

  it('restores a deleted policy rule', async () => {
    await sh('ip', 'rule', 'del', 'priority', '2000');
    const ms = await msUntil(
      async () => (await sh('ip', 'rule')).includes('from 192.0.2.61 lookup 200'),
      5000,
    );
    console.log(`rule restored in ${ms} ms`);
  });

  it('restores a flushed address and its routes', async () => {
    await sh('ip', 'addr', 'flush', 'dev', ifname);
    const ms = await msUntil(
      async () =>
        (await sh('ip', '-4', 'addr', 'show', 'dev', ifname)).includes('192.0.2.61/24') &&
        (await sh('ip', 'route', 'show', 'table', '200')).includes('default via 192.0.2.1'),
      5000,
    );
    console.log(`address restored in ${ms} ms`);
  });

  it('restores a changed sysctl (no netlink event: found by the periodic read)', async () => {
    await sh('sh', '-c', `echo 0 > /proc/sys/net/ipv4/conf/${ifname}/arp_ignore`);
    const ms = await msUntil(
      async () => (await sh('cat', `/proc/sys/net/ipv4/conf/${ifname}/arp_ignore`)).trim() === '1',
      5000,
    );
    console.log(`sysctl restored in ${ms} ms`);
  });

  it('exits 0 on SIGTERM', async () => {
    watcher.kill('SIGTERM');
    const r = await watcher;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain('watch: stopped');
    expect(String(r.stderr)).toMatch(/repaired \d+ drifted/);
  });
});
