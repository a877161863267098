// Digest of everything the packaged artifacts are made from, so an unchanged tree is not packaged twice.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gitCommit } from '../scripts/git-commit.mjs';

const INPUTS = [
  'agent',
  'systemd',
  'packaging',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'LICENSE',
  'README.md',
  'scripts/git-commit.mjs',
];

async function files(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [path];
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? files(join(path, e.name)) : [join(path, e.name)])),
  );
  return nested.flat();
}

export async function inputsDigest(root: string): Promise<string> {
  const hash = createHash('sha256');
  // The commit is built into the executables (--version, build_info) and dates the manual page.
  hash.update(`commit ${gitCommit(root)}\0`);
  const all = (await Promise.all(INPUTS.map((p) => files(join(root, p))))).flat().sort();
  for (const file of all) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}
