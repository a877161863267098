// Port: the single-instance lock (up, release and watch's repairs take it; diagnose only looks at who holds it).
export interface Locks {
  /** Takes the lock or throws LockBusyError (exit 7) after waiting up to `waitSeconds`; resolves to its release. */
  acquire(path: string, waitSeconds: number): Promise<() => Promise<void>>;
  /** Who holds it, and whether that process still lives (undefined: nobody). */
  holder(path: string): Promise<{ pid: number; alive: boolean } | undefined>;
}
