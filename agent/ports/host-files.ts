// Port: files on the host the agent reads and writes (under a configurable root), written only on change.
export interface HostFiles {
  read(path: string): Promise<string | undefined>;
  /** Atomic write (temp + fsync + rename); returns false when the content was already the same. */
  write(path: string, content: string, mode?: number): Promise<boolean>;
  /** "Already gone" is success; returns whether something was removed. */
  remove(path: string): Promise<boolean>;
}
