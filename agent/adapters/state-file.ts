// State file and single-instance lock: atomic 0600 JSON, and a PID lock that a dead holder cannot keep.
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AgentError, LockBusyError } from '../errors.ts';
import { type AgentState, STATE_VERSION } from '../model/state.ts';
import type { Clock } from '../ports/clock.ts';
import type { Locks } from '../ports/locks.ts';
import { atomicWrite, readIfExists } from './host-files.ts';

export class StateFile {
  constructor(readonly path: string) {}

  async load(): Promise<AgentState | undefined> {
    const text = await readIfExists(this.path);
    if (text === undefined) return undefined;
    let parsed: AgentState;
    try {
      parsed = JSON.parse(text) as AgentState;
    } catch (err) {
      throw new AgentError(
        `state file ${this.path} is not valid JSON: ${(err as Error).message}; move it aside to start over`,
      );
    }
    if (parsed.version !== STATE_VERSION)
      throw new AgentError(
        `state file ${this.path} has version ${parsed.version}, this agent reads ${STATE_VERSION}`,
      );
    return parsed;
  }

  async save(state: AgentState): Promise<void> {
    await atomicWrite(this.path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockHolder(path: string): Promise<number | undefined> {
  const pid = Number((await readIfExists(path))?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Takes the lock or throws LockBusyError (exit 7) after waiting up to `waitSeconds`. */
export async function acquireLock(
  path: string,
  waitSeconds: number,
  clock: Clock,
): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const deadline = clock.now() + waitSeconds * 1000;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        if ((await lockHolder(path)) === process.pid) await unlink(path).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await lockHolder(path);
    if (holder === undefined || !processAlive(holder)) {
      // A dead holder (crash, SIGKILL) cannot keep the lock; check the file did not change under us.
      if ((await readFile(path, 'utf8').catch(() => '')).trim() === String(holder ?? ''))
        await unlink(path).catch(() => {});
      continue;
    }
    if (clock.now() >= deadline)
      throw new LockBusyError(`another outposts-node-agent (pid ${holder}) holds ${path}`, { pid: holder });
    await clock.sleep(200);
  }
}

/** The Locks port on the PID lock file above. */
export class FileLocks implements Locks {
  constructor(private readonly clock: Clock) {}

  acquire(path: string, waitSeconds: number): Promise<() => Promise<void>> {
    return acquireLock(path, waitSeconds, this.clock);
  }

  async holder(path: string): Promise<{ pid: number; alive: boolean } | undefined> {
    const pid = await lockHolder(path).catch(() => undefined);
    return pid === undefined ? undefined : { pid, alive: processAlive(pid) };
  }
}
