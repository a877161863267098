// Finds each target's bun runtime: the installed npm package, else its lockfile-pinned tarball fetched with `npm pack`.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { exists } from './files.ts';
import type { Target } from './targets.ts';

interface LockedPackage {
  version: string;
  integrity: string;
}

/** Version and integrity of an optional dependency as package-lock.json pins it (present for every platform). */
async function lockedPackage(root: string, name: string): Promise<LockedPackage> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, Partial<LockedPackage>>;
  };
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity)
    throw new Error(
      `${name} is not pinned in package-lock.json (npm install --save-optional --save-exact it)`,
    );
  return { version: entry.version, integrity: entry.integrity };
}

/**
 * npm installs only the package matching this machine's CPU (the others are skipped optional dependencies), so the
 * other architecture's runtime is fetched through npm itself (registry + cache) and checked against the lockfile.
 */
async function fetchLocked(root: string, name: string, locked: LockedPackage): Promise<string> {
  const dir = join(
    root,
    'node_modules/.cache/outposts-node-agent',
    `${name.replace('/', '+')}@${locked.version}`,
  );
  const bin = join(dir, 'bin/bun');
  if (await exists(bin)) return bin;
  await mkdir(join(root, 'node_modules/.cache/outposts-node-agent'), { recursive: true });
  const tmp = await mkdtemp(`${dir}.tmp-`);
  try {
    const packed = await execa(
      'npm',
      ['pack', `${name}@${locked.version}`, '--json', '--pack-destination', tmp],
      {
        cwd: tmp,
      },
    );
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    if (!info) throw new Error(`npm pack ${name}@${locked.version} reported no tarball`);
    const tarball = join(tmp, info.filename);
    const [algo, expected] = locked.integrity.split('-', 2) as [string, string];
    const actual = createHash(algo)
      .update(await readFile(tarball))
      .digest('base64');
    if (actual !== expected)
      throw new Error(`${name}@${locked.version}: tarball ${algo} ${actual} differs from package-lock.json`);
    await execa('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/bun']);
    await chmod(join(tmp, 'bin/bun'), 0o755);
    await rm(tarball);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** Path of the bun executable that is the runtime of `target` (and, for the host's target, the compiler). */
export async function bunRuntime(root: string, target: Target): Promise<string> {
  const installed = join(root, 'node_modules', target.runtimePackage, 'bin/bun');
  if (await exists(installed)) return installed;
  return fetchLocked(root, target.runtimePackage, await lockedPackage(root, target.runtimePackage));
}
