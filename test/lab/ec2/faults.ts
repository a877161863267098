// Fault injection for the EC2 endpoint: per-action throttling, 5xx, added latency and hangs, limited by count or chance.
import type { FaultKind, FaultRule } from '../types.ts';

export interface FaultDecision {
  /** Extra ms before the answer (sum of matching `latency` rules). */
  latencyMs: number;
  /** The failure to answer with instead of running the action, if any. */
  failure?: Exclude<FaultKind, 'latency'>;
  /** For `hang`: ms after which the connection is dropped (undefined: until the client gives up). */
  hangMs?: number;
}

interface LiveRule {
  rule: FaultRule;
  remaining: number;
}

export class Ec2Faults {
  private live: LiveRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): void {
    this.live.push({ rule: { ...rule }, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.live = [];
  }

  /** Rules still in force, with how many matching calls each will still affect. */
  rules(): { rule: FaultRule; remaining: number }[] {
    return this.live.map(({ rule, remaining }) => ({ rule: { ...rule }, remaining }));
  }

  /** Decides what happens to one call of `action`, consuming the rules that fire. */
  decide(action: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const entry of this.live) {
      const { rule } = entry;
      if (rule.action !== '*' && rule.action !== action) continue;
      if (rule.kind !== 'latency' && decision.failure) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      entry.remaining -= 1;
      if (rule.kind === 'latency') decision.latencyMs += rule.latencyMs ?? 0;
      else {
        decision.failure = rule.kind;
        decision.hangMs = rule.kind === 'hang' ? rule.latencyMs : undefined;
      }
    }
    this.live = this.live.filter((entry) => entry.remaining > 0);
    return decision;
  }
}
