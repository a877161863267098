// The single executables: glibc floor for AL2, checksums, and the x86_64 one answering like the TypeScript does.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../agent/version.ts';
import { bunRuntime } from '../../packaging/bun-runtimes.ts';
import { BUNDLE_ARGS } from '../../packaging/compile.ts';
import { hostTarget } from '../../packaging/targets.ts';
import { gitCommit } from '../../scripts/git-commit.mjs';
import { DIST, ensurePackaged, executable, nativeExecutable, PACKAGE_TIMEOUT_MS, ROOT } from './artifacts.ts';

/** AL2 ships glibc 2.26: no executable may need a newer symbol version. */
const GLIBC_CEILING = [2, 26];

/** The highest GLIBC_x.y among the dynamic symbols an ELF file needs. */
async function highestGlibc(file: string): Promise<number[]> {
  const { stdout } = await execa('objdump', ['-T', file]);
  const versions = [...stdout.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) =>
    m.slice(1).flatMap((n) => (n === undefined ? [] : [Number(n)])),
  );
  expect(versions.length).toBeGreaterThan(0);
  return versions.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

describe('single executables', () => {
  beforeAll(ensurePackaged, PACKAGE_TIMEOUT_MS);

  it.each(['x86_64', 'aarch64'] as const)('%s needs at most GLIBC_2.26 (starts on AL2)', async (arch) => {
    const highest = await highestGlibc(executable(arch));
    console.info(`${arch}: highest symbol version GLIBC_${highest.join('.')}`);
    expect(compare(highest, GLIBC_CEILING), `GLIBC_${highest.join('.')}`).toBeLessThanOrEqual(0);
  });

  it('are listed in SHA256SUMS with the RPMs, and the sums verify', async () => {
    const sums = await readFile(`${DIST}/SHA256SUMS`, 'utf8');
    expect(sums).toMatch(/ {2}outposts-node-agent-linux-x86_64\n/);
    expect(sums).toMatch(/ {2}outposts-node-agent-linux-aarch64\n/);
    expect(sums.match(/\.rpm\n/g)).toHaveLength(2);
    const check = await execa('sha256sum', ['--check', '--strict', 'SHA256SUMS'], {
      cwd: DIST,
      reject: false,
    });
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  });

  it('the native one prints the version and help, with no Node or SDK notice', async () => {
    const version = await execa(nativeExecutable(), ['--version']);
    // The version and the commit the executable was built from (provenance).
    expect(version.stdout.trim()).toBe(`${VERSION} (${gitCommit(ROOT)})`);
    expect(version.stderr).toBe('');
    const help = await execa(nativeExecutable(), ['--help']);
    for (const command of ['up', 'release', 'sweep', 'watch', 'diagnose', 'status', 'config'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+outposts-node-agent ${command}\\b`, 'm'));
  });

  it('the native one logs human text when asked (the formatter is a lazily loaded chunk)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ona-text-'));
    try {
      const r = await execa(
        nativeExecutable(),
        [
          'release',
          '--log-format',
          'text',
          '--config',
          '/dev/null',
          '--set',
          'cluster.name=c',
          '--set',
          `paths.stateFile=${dir}/state.json`,
          '--set',
          `paths.lockFile=${dir}/agent.lock`,
        ],
        { reject: false },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: release: nothing recorded/m);
      expect(r.stderr).not.toContain('{"level"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the native one lists every parameter and exits 2 on a bad config, like the TypeScript', async () => {
    const docs = await execa(nativeExecutable(), ['config', '--docs']);
    const viaNode = await execa(process.execPath, ['dist/agent.mjs', 'config', '--docs'], {
      cwd: ROOT,
    });
    expect(docs.stdout).toBe(viaNode.stdout);
    const bad = await execa(
      nativeExecutable(),
      ['config', '--config', '/dev/null', '--set', 'lni.mtu=12', '--set', 'cluster.name=c'],
      {
        reject: false,
      },
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('lni.mtu');
  });
});

describe('what --version loads', () => {
  const SDK = /class EC2Client\b|AWS_EC2_METADATA_SERVICE_ENDPOINT/;

  /** The modules an entry file pulls in by static import/export … from (dynamic import() excluded). */
  async function staticClosure(dir: string, entry: string): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    const todo = [entry];
    for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
      if (seen.has(file)) continue;
      const text = await readFile(join(dir, file), 'utf8');
      seen.set(file, text);
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^;(]*?\s*"\.\/([^"]+)"/gm))
        if (m[1]) todo.push(m[1]);
    }
    return seen;
  }

  it('the entry module reaches no AWS SDK code except through a command’s dynamic import', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ona-split-'));
    try {
      const bun = await bunRuntime(ROOT, hostTarget());
      await execa(bun, [...BUNDLE_ARGS, '--target=bun', `--outdir=${out}`], { cwd: ROOT });
      const closure = await staticClosure(out, 'main.js');
      const all = await readdir(out);
      const withSdk: string[] = [];
      for (const f of all) if (SDK.test(await readFile(join(out, f), 'utf8'))) withSdk.push(f);
      expect(withSdk.length, 'the marker must find the SDK somewhere').toBeGreaterThan(0);
      expect([...closure.keys()].filter((f) => withSdk.includes(f))).toEqual([]);
      const kib = [...closure.values()].reduce((n, t) => n + t.length, 0) / 1024;
      console.info(
        `--version parses ${closure.size} of ${all.length} modules (${kib.toFixed(0)} KiB), no SDK`,
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
