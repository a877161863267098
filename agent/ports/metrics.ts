// Port: the metrics file node_exporter's textfile collector reads; an update never fails or holds up the command.
import type { MetricsState } from '../model/metrics.ts';

export interface Metrics {
  /** Applies `change` to the kept metrics and rewrites the file; a problem is logged, never thrown. */
  update(change: (s: MetricsState) => void): Promise<void>;
}
