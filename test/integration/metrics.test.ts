// The agent's metrics as Prometheus gets them: Debian's real node_exporter (textfile collector) in the node's
// namespace, scraped over HTTP after up, a watch repair, a failed up and release; a malformed file is a scrape error.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode } from '../lab/lab.ts';
import { msUntil, parseScrape, type Sample, staticConfig } from './helpers.ts';

const PORT = 19100;
const ADDRESS = '192.0.2.71';

describe('metrics through node_exporter’s textfile collector', () => {
  let lab: Lab;
  let node: LabNode;
  let exporter: ReturnType<Lab['net']['spawnIn']>;

  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const r = await lab.net.exec(node.ns, 'curl', ['-sf', `http://127.0.0.1:${PORT}/metrics`]);
    return { text: String(r.stdout), samples: parseScrape(String(r.stdout)) };
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;
  const agentLines = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.includes('outposts_node_agent_'))
      .join('\n');

  beforeAll(async () => {
    lab = await Lab.start({ nodes: 1 });
    node = lab.node(1);
    await mkdir(node.metricsDir, { recursive: true });
    exporter = lab.net.spawnIn(node.ns, 'prometheus-node-exporter', [
      `--web.listen-address=127.0.0.1:${PORT}`,
      '--collector.disable-defaults',
      '--collector.textfile',
      `--collector.textfile.directory=${node.metricsDir}`,
      '--web.disable-exporter-metrics',
    ]);
    await msUntil(async () => (await scrape().catch(() => undefined)) !== undefined, 10_000);
  });
  afterAll(async () => {
    exporter?.kill('SIGTERM');
    await exporter?.catch(() => undefined);
    await lab?.destroy();
  });

  it('after up: the LNI present and up with its address, up succeeded (exit 0, when, how long), the build; no scrape error', async () => {
    const started = Date.now() / 1000;
    const up = await lab.agent(node, ['up'], { config: staticConfig(ADDRESS) });
    expect(up.exitCode, up.stderr).toBe(0);
    const { text, samples } = await scrape();
    console.log(`one scrape after up (the agent's lines):\n${agentLines(text)}`);
    expect(value(samples, 'node_textfile_scrape_error')).toBe(0);
    expect(value(samples, 'outposts_node_agent_lni_present')).toBe(1);
    expect(value(samples, 'outposts_node_agent_lni_up')).toBe(1);
    const ifname = (await lab.net.linkByMac(node.ns, lab.ownedEnis(node)[0]?.macAddress ?? ''))?.ifname;
    expect(
      value(samples, 'outposts_node_agent_lni_address_info', {
        interface: ifname ?? '?',
        address: ADDRESS,
        mode: 'static',
      }),
    ).toBe(1);
    expect(value(samples, 'outposts_node_agent_up_exit_code')).toBe(0);
    const success = value(samples, 'outposts_node_agent_up_last_success_timestamp_seconds') ?? 0;
    expect(success).toBeGreaterThanOrEqual(Math.floor(started));
    expect(success).toBeLessThanOrEqual(Date.now() / 1000);
    expect(value(samples, 'outposts_node_agent_up_last_duration_seconds')).toBeGreaterThan(0);
    // The build the agent reports itself: `--version` says "VERSION (COMMIT)".
    const [cmd = '', ...args] = Lab.agentCommand();
    const [version, commit] = (await execa(cmd, [...args, '--version'])).stdout.trim().split(/ \(|\)$/);
    expect(commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    expect(
      value(samples, 'outposts_node_agent_build_info', { version: version ?? '', commit: commit ?? '' }),
    ).toBe(1);
    // Counters are there from the start (at 0), so rate() sees the first increment.
    expect(value(samples, 'outposts_node_agent_watch_repairs_total', { kind: 'rule' })).toBe(0);
    expect(value(samples, 'outposts_node_agent_sweep_deleted_enis_total')).toBe(0);
  });

  it('a watch repair is counted by kind, and kept across processes', async () => {
    const watcher = lab.spawnAgent(node, ['watch']);
    try {
      let seen = '';
      await new Promise<void>((resolve) =>
        watcher.stderr?.on('data', (c: Buffer) => {
          seen += c.toString();
          if (seen.includes('watch: started')) resolve();
        }),
      );
      await lab.net.exec(node.ns, 'ip', ['rule', 'del', 'priority', '2000']);
      await msUntil(
        async () =>
          value((await scrape()).samples, 'outposts_node_agent_watch_repairs_total', { kind: 'rule' }) === 1,
        5000,
      );
    } finally {
      watcher.kill('SIGTERM');
      await watcher.catch(() => undefined);
    }
  });

  it('a failed up records its exit code and when; the LNI is still reported as it is', async () => {
    lab.imds.faults.set({ kind: 'disabled' });
    const r = await lab.agent(node, ['up']).finally(() => lab.imds.faults.clear());
    expect(r.exitCode).toBe(3);
    const { samples } = await scrape();
    expect(value(samples, 'outposts_node_agent_up_exit_code')).toBe(3);
    expect(value(samples, 'outposts_node_agent_up_last_failure_timestamp_seconds')).toBeGreaterThan(
      value(samples, 'outposts_node_agent_up_last_success_timestamp_seconds') ?? Number.POSITIVE_INFINITY,
    );
    expect(value(samples, 'outposts_node_agent_lni_present')).toBe(1);
    // The repair counted by the earlier watch process is still there: the counters live beside the state file.
    expect(value(samples, 'outposts_node_agent_watch_repairs_total', { kind: 'rule' })).toBe(1);
  });

  it('after release: the LNI is no longer present', async () => {
    const r = await lab.agent(node, ['release']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { samples } = await scrape();
    expect(value(samples, 'node_textfile_scrape_error')).toBe(0);
    expect(value(samples, 'outposts_node_agent_lni_present')).toBe(0);
    expect(value(samples, 'outposts_node_agent_lni_up')).toBe(0);
    expect(samples.some((s) => s.name === 'outposts_node_agent_lni_address_info')).toBe(false);
  });

  it('negative control: a malformed file in the directory is a scrape error node_exporter reports', async () => {
    const bad = join(node.metricsDir, 'broken.prom');
    await writeFile(bad, 'outposts_node_agent_lni_up{interface="lni0" 1\n');
    try {
      expect(value((await scrape()).samples, 'node_textfile_scrape_error')).toBe(1);
    } finally {
      await rm(bad);
    }
    expect(value((await scrape()).samples, 'node_textfile_scrape_error')).toBe(0);
  });
});
