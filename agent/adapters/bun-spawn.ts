// The part of Bun's process API the agent uses (the packaged executable runs on Bun; tests and `npm run agent`
// run on Node, where this is absent). Declared here rather than pulling in Bun's whole type package.

export interface BunSubprocess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  kill(signal?: number | string): void;
}

export interface BunSpawnOptions {
  stdin?: 'ignore' | 'pipe' | Uint8Array;
  stdout?: 'pipe' | 'ignore';
  stderr?: 'pipe' | 'ignore';
  env?: Record<string, string | undefined>;
  timeout?: number;
  killSignal?: string;
}

interface BunApi {
  spawn(cmd: string[], opts: BunSpawnOptions & { stdout: 'pipe'; stderr: 'pipe' | 'ignore' }): BunSubprocess;
}

/** Bun's API when running on Bun, else undefined. */
export const bun: BunApi | undefined = (globalThis as { Bun?: BunApi }).Bun;
