// Port: time, so waits and timestamps are explicit.
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
