// Port: running a host program (ip, arping, dhclient, bootstrap.sh, nodeadm); every spawn goes through here.
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  run(
    file: string,
    args: string[],
    opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<RunResult>;
  /** Number of processes spawned so far (for the closing note and benchmarks). */
  readonly spawns: number;
  /** Whether a program of that name is on PATH (nothing is run). */
  installed(program: string): Promise<boolean>;
}
