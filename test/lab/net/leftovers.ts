// Records what each live lab owns under /run/ona-lab, tears a record down, and cleans labs whose owner died.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { ip, isGoneError, listNamespaces } from './ip.ts';
import { isSameProcess, killRecorded, killRecordedSync, type ProcRecord, recordProcess } from './proc.ts';

export const LEFTOVER_DIR = '/run/ona-lab';
/** Temp dirs a lab may remove: only ones it made itself with this prefix. */
export const LAB_TMP_PREFIX = 'ona-lab-';

/** Everything one lab created: what teardown removes, and nothing else. */
export interface LabRecord {
  prefix: string;
  /** The process that built the lab; while it lives, the lab is not a leftover. */
  owner: ProcRecord;
  namespaces: string[];
  procs: ProcRecord[];
  tmpDir?: string;
  createdAt: string;
}

export interface CleanedLab {
  prefix: string;
  namespaces: string[];
  killedPids: number[];
}

/** Our own process as a ProcRecord (argv as /proc shows it). */
export function recordSelf(): ProcRecord {
  const argv = readFileSync('/proc/self/cmdline', 'utf8').split('\0').slice(0, -1);
  return recordProcess(process.pid, argv);
}

function recordPath(dir: string, prefix: string): string {
  return join(dir, `${prefix}.json`);
}

/** Writes REC atomically (temp + rename) so a crash never leaves half a record. */
export function writeLabRecord(rec: LabRecord, dir = LEFTOVER_DIR): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = recordPath(dir, rec.prefix);
  writeFileSync(`${path}.tmp`, JSON.stringify(rec, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function removeLabRecord(prefix: string, dir = LEFTOVER_DIR): void {
  rmSync(recordPath(dir, prefix), { force: true });
}

function removeTmpDir(rec: LabRecord): void {
  if (rec.tmpDir?.startsWith(join(tmpdir(), LAB_TMP_PREFIX)))
    rmSync(rec.tmpDir, { recursive: true, force: true });
}

/**
 * Processes still running inside one of the lab's own namespaces (e.g. a dhclient the agent under test
 * started) are the lab's by construction: `ip netns pids` names them, and they are killed by PID.
 */
function killProcessesInNamespace(ns: string): number[] {
  const r = execaSync('ip', ['netns', 'pids', ns], { reject: false });
  const pids = String(r.stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 1 && pid !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/** Kills REC's processes (only if still theirs), deletes exactly its namespaces, its temp dir and its record. */
export async function teardownRecord(rec: LabRecord, dir = LEFTOVER_DIR): Promise<CleanedLab> {
  const killedPids = rec.procs.filter(isSameProcess).map((p) => p.pid);
  await Promise.all(rec.procs.map((p) => killRecorded(p)));
  const existing = new Set(await listNamespaces());
  const namespaces = rec.namespaces.filter((ns) => existing.has(ns));
  killedPids.push(...namespaces.flatMap(killProcessesInNamespace));
  await Promise.all(
    namespaces.map((ns) =>
      ip(['netns', 'delete', ns]).catch((err: unknown) => {
        if (!isGoneError(err)) throw err;
      }),
    ),
  );
  removeTmpDir(rec);
  removeLabRecord(rec.prefix, dir);
  return { prefix: rec.prefix, namespaces, killedPids };
}

/** Best-effort synchronous teardown for `exit`/signal handlers, where no event loop is left. */
export function teardownRecordSync(rec: LabRecord, dir = LEFTOVER_DIR): void {
  for (const p of rec.procs) killRecordedSync(p);
  for (const ns of rec.namespaces) killProcessesInNamespace(ns);
  for (const ns of rec.namespaces) execaSync('ip', ['netns', 'delete', ns], { reject: false });
  removeTmpDir(rec);
  removeLabRecord(rec.prefix, dir);
}

/** Lab records in DIR (unreadable files are skipped). */
export function readLabRecords(dir = LEFTOVER_DIR): LabRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: LabRecord[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as LabRecord);
    } catch {
      // a file being replaced right now, or not ours: leave it
    }
  }
  return out;
}

/**
 * Tears down every recorded lab whose owner process is gone (killed, crashed, interrupted).
 * Labs whose owner still runs (another test file, right now) are left alone.
 */
export async function cleanupLeftovers(dir = LEFTOVER_DIR): Promise<CleanedLab[]> {
  const dead = readLabRecords(dir).filter((rec) => !isSameProcess(rec.owner));
  return Promise.all(dead.map((rec) => teardownRecord(rec, dir)));
}
