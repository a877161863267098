// The aarch64 executable under qemu-user: --version, config --print and diagnose --json against the lab's endpoints.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { VERSION } from '../../agent/version.ts';
import { LAB_CREDENTIALS, Lab } from '../lab/lab.ts';
import { ensurePackaged, executable, PACKAGE_TIMEOUT_MS } from './artifacts.ts';

const QEMU = '/usr/bin/qemu-aarch64-static';
/** The aarch64 C library and loader (Debian libc6-arm64-cross). */
const SYSROOT = '/usr/aarch64-linux-gnu';

async function qemuMissing(): Promise<string | undefined> {
  for (const path of [QEMU, join(SYSROOT, 'lib/ld-linux-aarch64.so.1')]) {
    try {
      await access(path);
    } catch {
      return `${path} is missing (Debian qemu-user-static, libc6-arm64-cross; scripts/install-system-deps.sh installs them)`;
    }
  }
  return undefined;
}

const skipReason = await qemuMissing();
if (skipReason) console.warn(`skipping the aarch64 executable tests: ${skipReason}`);

/** Emulated JavaScriptCore is slow: each run gets a generous bound. */
const RUN_TIMEOUT_MS = 120_000;

describe.skipIf(skipReason)('aarch64 executable under qemu-aarch64-static', () => {
  let lab: Lab;
  let dir: string;
  let configFile: string;
  const run = (args: string[], env: Record<string, string> = {}) =>
    execa(QEMU, ['-L', SYSROOT, executable('aarch64'), ...args], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      timeout: RUN_TIMEOUT_MS,
    });

  beforeAll(async () => {
    await ensurePackaged();
    lab = await Lab.start({ nodes: 1 });
    dir = await mkdtemp(join(tmpdir(), 'ona-qemu-'));
    configFile = join(dir, 'config.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        cluster: { name: 'edge-lab' },
        addressing: { mode: 'static', address: '192.0.2.40/24', gateway: '192.0.2.1' },
      }),
    );
  }, PACKAGE_TIMEOUT_MS);
  afterAll(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints its version', { timeout: RUN_TIMEOUT_MS }, async () => {
    const r = await run(['--version']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(`^${VERSION.replaceAll('.', '\\.')} \\([0-9a-f]{12}(-dirty)?\\)$`),
    );
  });

  it('prints the effective config from file, environment and flags', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const r = await run(['config', '--print', '--config', configFile, '--set', 'lni.mtu=1400'], {
      OUTPOSTS_NODE_AGENT__ROUTES__TABLE: '201',
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const effective = YAML.parse(r.stdout);
    expect(effective).toMatchObject({
      cluster: { name: 'edge-lab' },
      addressing: { mode: 'static', address: '192.0.2.40/24' },
      lni: { mtu: 1400 },
      routes: { table: 201, rulePriority: 2000 },
    });
  });

  it('runs diagnose --json against the lab endpoints (IMDS and EC2 on loopback)', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const node = lab.node(1);
    const env = {
      ...LAB_CREDENTIALS,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: lab.imdsUrl,
      AWS_ENDPOINT_URL_EC2: lab.ec2Url,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      OUTPOSTS_NODE_AGENT__PATHS__STATE_FILE: join(dir, 'state.json'),
      OUTPOSTS_NODE_AGENT__PATHS__LOCK_FILE: join(dir, 'agent.lock'),
      OUTPOSTS_NODE_AGENT__PATHS__RUN_DIR: join(dir, 'run'),
    };
    const r = await run(['diagnose', '--json', '--config', configFile, '--log-format', 'json'], env);
    // 0: every check passed; 8: some check failed (this host is not the lab node). Anything else is a crash.
    expect([0, 8], r.stderr).toContain(r.exitCode);
    const report = JSON.parse(r.stdout) as {
      version: unknown;
      agentVersion: string;
      instanceId?: string;
      summary: Record<string, number>;
      checks: unknown[];
    };
    expect(report.version).toBeDefined();
    expect(report.agentVersion).toBe(VERSION);
    expect(report.checks.length).toBeGreaterThan(0);
    if (report.instanceId) expect(report.instanceId).toBe(node.instanceId);
    // The emulated executable reached the lab's IMDS (an IMDSv2 token was issued to it). How far the checks got
    // beyond that depends on the machine's load: diagnose bounds each check (2.5 s for IMDS), and emulated
    // JavaScriptCore on a busy machine can take longer than that for the first round trip.
    const imds = lab.imds.calls();
    expect(imds.some((c) => c.method === 'PUT' && c.path.endsWith('/api/token') && c.status === 200)).toBe(
      true,
    );
    const reads = imds.filter((c) => c.method === 'GET' && c.withToken && c.status === 200).length;
    const ec2 = lab.ec2.calls().filter((c) => c.status === 200).length;
    console.info(
      `diagnose under qemu: exit ${r.exitCode}, ${JSON.stringify(report.summary)}, IMDS reads ${reads}, EC2 answers ${ec2}`,
    );
  });
});
