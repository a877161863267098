// Tracks the lab's delayed transitions (timers and in-flight hot-plug calls) so they can be awaited or cancelled.
export class PendingWork {
  /** Live timers and the resolver of the promise each one ends. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly tasks = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Resolves after `ms`, or at once when disposed. */
  delay(ms: number): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  /** Runs `step` once every promise in `waitFor` has settled, unless disposed by then. */
  schedule(waitFor: readonly Promise<unknown>[], step: () => void): void {
    this.track(
      Promise.allSettled(waitFor).then(() => {
        if (this.disposed) return;
        try {
          step();
        } catch (error) {
          this.onError(error);
        }
      }),
    );
  }

  /** Remembers an in-flight promise until it settles. */
  track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    const forget = () => this.tasks.delete(task);
    task.then(forget, forget);
    return task;
  }

  /** Resolves once nothing is pending (work started meanwhile is waited for too). */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Cancels every timer; scheduled steps no longer run. */
  dispose(): void {
    this.disposed = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
