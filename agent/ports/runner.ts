// Port: running a host program (ip, arping, dhclient, bootstrap.sh, nodeadm); every spawn goes through here.
export interface RunResult {
  /** The program's exit code; 124: killed at `timeoutMs`; 127: could not be started; 128+n: killed by signal n. */
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

/** Exit codes of a run that did not end by itself (RunResult.exitCode). */
export const RUN_TIMED_OUT = 124;
export const RUN_NOT_STARTED = 127;
