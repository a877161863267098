// Whether a program is on PATH, without running anything.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

export async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean)) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}
