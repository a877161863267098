// Process identity from /proc (argv + start time) and kill-by-PID that never hits a recycled PID.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the lab remembers about a process it started, to recognise it later. */
export interface ProcRecord {
  pid: number;
  /** argv it was started with; after `ip netns exec NS` execs, /proc shows the command's own argv. */
  argv: string[];
  /** Field 22 of /proc/PID/stat (clock ticks since boot): unchanged by exec, differs for a recycled PID. */
  startTime: string;
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

function readArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** A record for a live PID; throws if it is already gone. */
export function recordProcess(pid: number, argv: readonly string[]): ProcRecord {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is already gone`);
  return { pid, argv: [...argv], startTime: stat.startTime };
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * True when PID is still the process REC describes: same start time, and its argv is the recorded one,
 * either as started (`ip netns exec NS cmd ...`) or as the exec'd command's (`cmd ...`).
 */
export function isSameProcess(rec: ProcRecord): boolean {
  const stat = readStat(rec.pid);
  const argv = readArgv(rec.pid);
  if (!stat || !argv || stat.state === 'Z' || stat.startTime !== rec.startTime) return false;
  const tail = rec.argv[0] === 'ip' && rec.argv[1] === 'netns' ? rec.argv.slice(4) : rec.argv;
  const same = (a: readonly string[]) => a.length === argv.length && a.every((v, i) => v === argv[i]);
  return same(rec.argv) || same(tail);
}

/** SIGTERM, then SIGKILL after `graceMs`, and wait until it is gone; only if REC still is that process. */
export async function killRecorded(rec: ProcRecord, graceMs = 1000): Promise<void> {
  if (!isSameProcess(rec)) return;
  signal(rec.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(rec.pid) && Date.now() < deadline) await sleep(10);
  if (!isSameProcess(rec)) return;
  signal(rec.pid, 'SIGKILL');
  const hardDeadline = Date.now() + 5000;
  while (isAlive(rec.pid) && Date.now() < hardDeadline) await sleep(10);
}

/** Synchronous SIGKILL for exit handlers (no event loop left to wait in). */
export function killRecordedSync(rec: ProcRecord): void {
  if (isSameProcess(rec)) signal(rec.pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
