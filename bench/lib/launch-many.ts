// Helper process for P7: starts every job at the same moment in its namespace and reports when each one ended.
// It exists so that the process serving the lab's endpoints does not fork itself once per agent (each fork of
// that large process stalls its event loop, and the endpoints' answers with it).
import { spawn } from 'node:child_process';
import { text } from 'node:stream/consumers';

export interface LaunchJob {
  ns: string;
  argv: string[];
  env: Record<string, string>;
  /** Scheduling niceness of the job (0-19). */
  nice: number;
}

export interface LaunchResult {
  exitCode: number | null;
  /** Wall-clock (epoch ms) when all jobs were started, and when this one exited. */
  startedAt: number;
  endedAt: number;
  stderrTail: string;
}

const jobs = JSON.parse(await text(process.stdin)) as LaunchJob[];
const startedAt = Date.now();
const results = await Promise.all(
  jobs.map(
    (job) =>
      new Promise<LaunchResult>((resolve) => {
        const child = spawn('ip', ['netns', 'exec', job.ns, 'nice', '-n', String(job.nice), ...job.argv], {
          env: job.env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-4000);
        });
        child.on('close', (exitCode) =>
          resolve({ exitCode, startedAt, endedAt: Date.now(), stderrTail: stderr }),
        );
      }),
  ),
);
process.stdout.write(JSON.stringify(results));
