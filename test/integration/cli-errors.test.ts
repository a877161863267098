// Every command with a broken config and with IMDS data missing: the documented exit code, a message that names the
// problem in the config's own words, never a stack trace; diagnose, release, status and config still do their job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { staticConfig } from './helpers.ts';

const GOOD = staticConfig('192.0.2.71');
/** Two mistakes and no cluster name. */
const BROKEN = { lni: { mtu: 'big' }, addressing: { mode: 'bootp' } };
const STACK = /\n\s+at .+:\d+:\d+/;

describe('commands on a broken config and with IMDS data missing', () => {
  let lab: Lab;
  let node: LabNode;
  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    const r = await lab.agent(node, ['up'], { config: GOOD });
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const named = (text: string) => {
    expect(text).toContain('lni.mtu: must be a number (got "big")');
    expect(text).toContain('addressing.mode: must be one of "static", "dhcp", "pool" (got "bootp")');
    expect(text).not.toMatch(/Invalid (input|discriminator|option)|expected .* received/);
  };

  it.each([['up'], ['sweep'], ['watch']])(
    '%s refuses it with exit 2, naming each key, the value and what is allowed',
    async (command) => {
      const r = await lab.agent(node, [command], { config: BROKEN, timeoutMs: 30_000 });
      expect(r.exitCode).toBe(2);
      named(r.stderr);
      expect(r.stderr).not.toMatch(STACK);
    },
  );

  it('diagnose --json still reports: config.valid fails with each key, and the other checks ran with the defaults', async () => {
    for (const command of ['diagnose', 'preflight']) {
      const r = await lab.agent(node, [command, '--json'], { config: BROKEN });
      expect(r.exitCode, r.stderr).toBe(8);
      const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; observed?: string }[] };
      const config = report.checks.find((c) => c.id === 'config.valid');
      expect(config?.status).toBe('fail');
      named(config?.observed ?? '');
      expect(report.checks.find((c) => c.id === 'placement.outpost')?.status).toBe('pass');
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('config prints the effective config (defaults for the bad keys), then the problems, and exits 2', async () => {
    const r = await lab.agent(node, ['config'], { config: BROKEN });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/^ {2}mtu: 1500$/m);
    expect(r.stdout).toMatch(/^ {2}mode: dhcp$/m);
    named(r.stderr);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a partial addressing section takes the default mode (dhcp)', async () => {
    const r = await lab.agent(node, ['config', '--json'], {
      config: { cluster: { name: 'edge-lab' }, addressing: { timeoutSeconds: 12 } },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).addressing).toEqual({ mode: 'dhcp', timeoutSeconds: 12, client: 'auto' });
  });

  it('status works from the state file, and release through the systemd stop path keeps the node’s LNI', async () => {
    const status = await lab.agent(node, ['status', '--json'], { config: BROKEN });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: { eni: { id: lab.ownedEnis(node)[0]?.networkInterfaceId } },
    });
    expect(
      status.logs.some((l) =>
        String(l.msg).includes('the configuration has problems (lni.mtu, addressing.mode)'),
      ),
    ).toBe(true);
    const stop = await lab.agent(node, ['release', '--reason', 'stop'], { config: BROKEN });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('kept the LNI');
    expect(lab.ownedEnis(node)).toHaveLength(1);
  });

  it('IMDS without the identity document and placement/region: up and sweep exit 3 naming what is missing; diagnose reports; no stack traces', async () => {
    lab.imds.faults.set({
      kind: 'not-found',
      paths: ['/latest/dynamic/instance-identity/document', '/latest/meta-data/placement/region'],
    });
    try {
      const up = await lab.agent(node, ['up'], { config: GOOD });
      expect(up.exitCode).toBe(3);
      expect(up.stderr).toContain('IMDS has no dynamic/instance-identity/document');
      const sweep = await lab.agent(node, ['sweep'], { config: GOOD });
      expect(sweep.exitCode).toBe(3);
      expect(sweep.stderr).toContain('IMDS has no meta-data/placement/region and --region was not given');
      const d = await lab.agent(node, ['diagnose', '--json'], { config: GOOD });
      expect(d.exitCode).toBe(8);
      expect(JSON.parse(d.stdout).checks.length).toBeGreaterThan(10);
      for (const r of [up, sweep, d]) expect(r.stderr).not.toMatch(STACK);
    } finally {
      lab.imds.faults.clear();
    }
  });

  it('IMDS turned off (403 to the token request): a plain sentence about what to check, exit 3', async () => {
    lab.imds.faults.set({ kind: 'disabled' });
    const r = await lab.agent(node, ['up'], { config: GOOD }).finally(() => lab.imds.faults.clear());
    expect(r.exitCode).toBe(3);
    expect(r.stderr).not.toContain('disableFetchToken');
    expect(r.stderr).toContain('IMDS refused the IMDSv2 token request (HTTP 403)');
    expect(r.stderr).toMatch(/hop limit/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('up --json prints the result', async () => {
    const r = await lab.agent(node, ['up', '--json'], { config: GOOD });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ instanceId: node.instanceId, dryRun: false });
  });

  it('release with the broken config still undoes what the state file records', async () => {
    const r = await lab.agent(node, ['release'], { config: BROKEN });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lab.ownedEnis(node)).toEqual([]);
  });
});
