// `sweep`: delete unattached ENIs that carry this agent's tags and whose owner instance is gone.

import type { AgentConfig } from '../config/schema.ts';
import { ImdsError } from '../errors.ts';
import { recordSweep } from '../model/metrics.ts';
import { judgeOrphans, type SweepVerdict } from '../model/sweep.ts';
import { TAG_OWNER } from '../model/tags.ts';
import type { Deps } from './deps.ts';

export interface SweepResult {
  examined: number;
  deleted: string[];
  kept: number;
  verdicts: SweepVerdict[];
  dryRun: boolean;
}

/** Deletes run a few at a time: fast on thousands of orphans, gentle on EC2's request rate. */
const PARALLEL_DELETES = 8;

export async function sweep(
  config: AgentConfig,
  deps: Deps,
  opts: { dryRun: boolean; region?: string },
): Promise<SweepResult> {
  const region = opts.region ?? (await deps.imds.get('meta-data/placement/region'))?.trim();
  if (!region)
    throw new ImdsError(
      'cannot tell the region: IMDS has no meta-data/placement/region and --region was not given',
    );
  const ec2 = deps.ec2(region);
  const tagged = await ec2.describeNetworkInterfaces({
    filters: { 'tag-key': [TAG_OWNER], status: ['available'] },
  });
  const owners = [...new Set(tagged.map((e) => e.tags[TAG_OWNER]).filter((o): o is string => Boolean(o)))];
  const states = owners.length ? await ec2.instanceStates(owners) : new Map<string, string>();
  const verdicts = judgeOrphans(tagged, states, deps.clock.now(), config.sweep.gracePeriodSeconds);
  const doomed = verdicts.filter((v) => v.delete);
  const deleted: string[] = [];
  if (opts.dryRun) for (const v of doomed) deps.log.info({ eni: v.eniId, reason: v.reason }, 'would delete');
  else {
    const queue = [...doomed];
    const worker = async () => {
      for (let v = queue.shift(); v; v = queue.shift()) {
        await ec2.deleteNetworkInterface({ eniId: v.eniId });
        deps.log.debug({ eni: v.eniId, reason: v.reason }, 'deleted orphan');
        deleted.push(v.eniId);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DELETES, queue.length) }, worker));
  }
  deps.log.info({ examined: tagged.length, orphans: doomed.length, deleted: deleted.length }, 'sweep done');
  if (!opts.dryRun) await deps.metrics.update((m) => recordSweep(m, deleted.length));
  return {
    examined: tagged.length,
    deleted,
    kept: verdicts.length - doomed.length,
    verdicts,
    dryRun: opts.dryRun,
  };
}
