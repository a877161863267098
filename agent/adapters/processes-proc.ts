// Processes port on /proc: name from comm, argv from cmdline, kept to this network namespace.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Processes, ProcessInfo } from '../ports/processes.ts';

export class ProcProcesses implements Processes {
  constructor(private readonly proc = '/proc') {}

  async byName(name: string): Promise<ProcessInfo[]> {
    const ownNet = await readlink(`${this.proc}/self/ns/net`).catch(() => undefined);
    const pids = (await readdir(this.proc)).filter((e) => /^\d+$/.test(e));
    const found = await Promise.all(
      pids.map(async (pid): Promise<ProcessInfo | undefined> => {
        try {
          const comm = (await readFile(`${this.proc}/${pid}/comm`, 'utf8')).trim();
          if (comm !== name) return undefined;
          const net = await readlink(`${this.proc}/${pid}/ns/net`).catch(() => undefined);
          if (ownNet && net && net !== ownNet) return undefined;
          const cmdline = await readFile(`${this.proc}/${pid}/cmdline`, 'utf8');
          return { pid: Number(pid), name: comm, argv: cmdline.split('\0').filter(Boolean) };
        } catch {
          return undefined; // exited while we looked
        }
      }),
    );
    return found.filter((p): p is ProcessInfo => p !== undefined);
  }
}
