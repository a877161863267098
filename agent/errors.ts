// AgentError hierarchy and the exit-code table: every failure the agent reports maps to one documented code.

export const ExitCode = {
  ok: 0,
  unknown: 1,
  config: 2,
  imds: 3,
  ec2: 4,
  hostNetwork: 5,
  join: 6,
  lockBusy: 7,
  /** `diagnose`: at least one check failed. */
  checksFailed: 8,
  /** Stopped by SIGTERM/SIGINT between steps. */
  interrupted: 10,
  /** The environment cannot host an LNI (not on an outpost, subnet without an LNI device index, ...). */
  preflight: 11,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, for `--help`, the manual page and the README's table. */
export const EXIT_CODE_DOCS: Record<ExitCodeValue, string> = {
  0: 'success',
  1: 'unexpected error',
  2: 'invalid configuration or usage (systemd does not retry it)',
  3: 'IMDS failure',
  4: 'EC2 API failure',
  5: 'host network failure',
  6: 'EKS join failure',
  7: 'another instance holds the lock',
  8: '`diagnose` / `preflight`: a check failed',
  10: 'interrupted (SIGTERM) between steps',
  11: 'preflight: the node cannot host an LNI (not on an outpost, no LNI device index, …)',
};

export class AgentError extends Error {
  readonly exitCode: ExitCodeValue = ExitCode.unknown;
  readonly kind: string = 'unknown';
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends AgentError {
  override readonly exitCode = ExitCode.config;
  override readonly kind = 'config';
  constructor(
    readonly problems: readonly { key: string; message: string; value?: unknown }[],
    intro = 'invalid configuration',
  ) {
    super(
      `${intro}:\n${problems.map((p) => `  - ${p.key}: ${p.message}${p.value === undefined ? '' : ` (got ${JSON.stringify(p.value)})`}`).join('\n')}`,
      { problems },
    );
  }
}
export class ImdsError extends AgentError {
  override readonly exitCode = ExitCode.imds;
  override readonly kind = 'imds';
}
export class Ec2Error extends AgentError {
  override readonly exitCode = ExitCode.ec2;
  override readonly kind = 'ec2';
}
export class HostNetworkError extends AgentError {
  override readonly exitCode = ExitCode.hostNetwork;
  override readonly kind = 'host-network';
}
export class JoinError extends AgentError {
  override readonly exitCode = ExitCode.join;
  override readonly kind = 'join';
}
export class LockBusyError extends AgentError {
  override readonly exitCode = ExitCode.lockBusy;
  override readonly kind = 'lock-busy';
}
export class InterruptedError extends AgentError {
  override readonly exitCode = ExitCode.interrupted;
  override readonly kind = 'interrupted';
}

export class PreflightError extends AgentError {
  override readonly exitCode = ExitCode.preflight;
  override readonly kind = 'preflight';
}

/** Exit code for anything thrown below main.ts. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof AgentError ? err.exitCode : ExitCode.unknown;
}
