// The agent builds the benchmarks run: the JS bundle under this Node, and the packaged executable when it exists.
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { LabNode } from '../../test/lab/lab.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Snapshots live here (gitignored) so a rebuild of dist/ by someone else mid-run cannot mix versions. */
const SNAPSHOT_DIR = join(ROOT, 'build/bench');

export type RuntimeName = 'bundle' | 'exe';

export interface AgentRuntime {
  name: RuntimeName;
  /** What the table calls it. */
  label: string;
  /** Command line prefix that starts the agent. */
  argv: string[];
  /** The artifact as found in dist/ (before the snapshot), its size and modification time. */
  source: string;
  sizeBytes: number;
  builtAt: string;
}

export const EXE_NAME = `outposts-node-agent-linux-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}`;

async function snapshot(
  name: string,
): Promise<{ path: string; sizeBytes: number; builtAt: string } | undefined> {
  const source = join(ROOT, 'dist', name);
  const info = await stat(source).catch(() => undefined);
  if (!info) return undefined;
  await mkdir(SNAPSHOT_DIR, { recursive: true });
  const path = join(SNAPSHOT_DIR, name);
  // Copy then rename: the previous snapshot may be running right now (ETXTBSY on an in-place copy).
  const tmp = `${path}.${process.pid}.tmp`;
  await copyFile(source, tmp);
  await rename(tmp, path);
  return { path, sizeBytes: info.size, builtAt: info.mtime.toISOString() };
}

/** Builds the bundle (unless told not to), snapshots it and the packaged executable if there is one. */
export async function prepareRuntimes(opts: { build: boolean }): Promise<AgentRuntime[]> {
  if (opts.build)
    await execa(process.execPath, ['scripts/build.mjs'], {
      cwd: ROOT,
      env: { QUIET_BUILD: '1' },
      stdio: 'inherit',
    });
  const runtimes: AgentRuntime[] = [];
  const bundle = await snapshot('agent.mjs');
  if (!bundle) throw new Error('dist/agent.mjs missing: run npm run build');
  runtimes.push({
    name: 'bundle',
    label: 'bundle under Node',
    argv: [process.execPath, bundle.path],
    source: 'dist/agent.mjs',
    sizeBytes: bundle.sizeBytes,
    builtAt: bundle.builtAt,
  });
  const exe = await snapshot(EXE_NAME);
  if (exe)
    runtimes.push({
      name: 'exe',
      label: 'packaged executable',
      argv: [exe.path],
      source: `dist/${EXE_NAME}`,
      sizeBytes: exe.sizeBytes,
      builtAt: exe.builtAt,
    });
  return runtimes;
}

/** The agent's full command line on a lab node, as `Lab.agent` builds it (config file, JSON logs). */
export function agentArgv(runtime: AgentRuntime, node: LabNode, args: readonly string[]): string[] {
  return [...runtime.argv, ...args, '--config', node.configPath, '--log-format', 'json'];
}
