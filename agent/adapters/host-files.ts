// Host files port: every path lives under a configurable root; writes are atomic and only happen on change.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostFiles } from '../ports/host-files.ts';

/** Write temp file, fsync, rename: a reader never sees half a file, and a crash leaves the old one. */
export async function atomicWrite(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class RootedHostFiles implements HostFiles {
  constructor(private readonly root: string) {}

  private at(path: string): string {
    return join(this.root, path);
  }

  read(path: string): Promise<string | undefined> {
    return readIfExists(this.at(path));
  }

  async write(path: string, content: string, mode = 0o644): Promise<boolean> {
    if ((await this.read(path)) === content) return false;
    await atomicWrite(this.at(path), content, mode);
    return true;
  }

  async remove(path: string): Promise<boolean> {
    if ((await this.read(path)) === undefined) return false;
    await rm(this.at(path), { force: true });
    return true;
  }
}
