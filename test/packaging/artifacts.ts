// Packaging tests share one `npm run package` per run (or none when dist/ is current), serialized by a file lock.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { executableName, hostTarget } from '../../packaging/targets.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** Building both executables and RPMs takes a minute or two on two busy cores. */
export const PACKAGE_TIMEOUT_MS = 15 * 60_000;

export const executable = (arch: 'x86_64' | 'aarch64'): string => join(DIST, executableName(arch));
export const nativeExecutable = (): string => executable(hostTarget().arch);

let packaged: Promise<void> | undefined;

/**
 * Runs `npm run package -- --if-changed` under a lock, so parallel test files wait for one build; niced, so the
 * lab tests running beside it keep their CPU.
 */
export function ensurePackaged(): Promise<void> {
  packaged ??= (async () => {
    const lockDir = join(ROOT, 'node_modules/.cache/outposts-node-agent');
    await mkdir(lockDir, { recursive: true });
    const started = performance.now();
    const r = await execa(
      'flock',
      [
        join(lockDir, 'package.lock'),
        'nice',
        '-n',
        '10',
        'npm',
        'run',
        '--silent',
        'package',
        '--',
        '--if-changed',
      ],
      {
        cwd: ROOT,
        reject: false,
        all: true,
        timeout: PACKAGE_TIMEOUT_MS,
      },
    );
    if (r.exitCode !== 0) throw new Error(`npm run package failed (${r.exitCode}):\n${r.all}`);
    console.info(
      `${String(r.all).trim()}\n(packaging step of the tests: ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  })();
  return packaged;
}
