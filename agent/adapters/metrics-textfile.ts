// Metrics port on node_exporter's textfile collector: counters kept in a JSON file beside the state file, the
// .prom file rewritten atomically (written under a name the collector ignores, then renamed) on every update.
import { dirname, join } from 'node:path';
import type { Log } from '../log.ts';
import { type MetricsState, parseMetricsState, renderMetrics } from '../model/metrics.ts';
import type { Locks } from '../ports/locks.ts';
import type { Metrics } from '../ports/metrics.ts';
import { atomicWrite, readIfExists } from './host-files.ts';

export const METRICS_FILE = 'outposts-node-agent.prom';

export interface TextfileMetricsOptions {
  enabled: boolean;
  /** node_exporter's --collector.textfile.directory. */
  directory: string;
  /** The agent's state file: the counters live beside it (metrics.json), under a lock of their own. */
  stateFile: string;
  build: { version: string; commit: string };
  locks: Locks;
  log: Log;
}

/** How long an update waits for another agent process's update (each holds the lock for milliseconds). */
const LOCK_WAIT_SECONDS = 1;

export class TextfileMetrics implements Metrics {
  /** Updates from one process, one after another (watch's repairs and its lifecycle poll may coincide). */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: TextfileMetricsOptions) {}

  get file(): string {
    return join(this.o.directory, METRICS_FILE);
  }

  update(change: (s: MetricsState) => void): Promise<void> {
    if (!this.o.enabled) return Promise.resolve();
    this.queue = this.queue.then(() => this.write(change));
    return this.queue;
  }

  private async write(change: (s: MetricsState) => void): Promise<void> {
    const dir = dirname(this.o.stateFile);
    let unlock: (() => Promise<void>) | undefined;
    try {
      unlock = await this.o.locks.acquire(join(dir, 'metrics.lock'), LOCK_WAIT_SECONDS);
      const path = join(dir, 'metrics.json');
      const state = parseMetricsState(await readIfExists(path).catch(() => undefined));
      change(state);
      await atomicWrite(path, `${JSON.stringify(state)}\n`, 0o644);
      await atomicWrite(this.file, renderMetrics(state, this.o.build), 0o644);
    } catch (err) {
      this.o.log.warn(
        { err: (err as Error).message, file: this.file },
        'metrics: could not update the textfile collector file; the command goes on',
      );
    } finally {
      await unlock?.().catch(() => {});
    }
  }
}
