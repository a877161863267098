// Pure: which of the agent's tagged ENIs are orphans that sweep may delete, and why the others stay.
import { TAG_CREATED_AT, TAG_OWNER } from './tags.ts';
import type { EniFacts } from './types.ts';

export interface SweepVerdict {
  eniId: string;
  owner?: string;
  delete: boolean;
  reason: string;
}

const GONE = new Set(['terminated', 'shutting-down']);

/**
 * Deletes only an ENI that carries the owner tag, is `available` (unattached), is older than the grace
 * period, and whose owner instance no longer exists or is terminating. Everything else stays.
 */
export function judgeOrphans(
  enis: EniFacts[],
  ownerStates: Map<string, string>,
  nowMs: number,
  graceSeconds: number,
): SweepVerdict[] {
  return enis.map((e) => {
    const owner = e.tags[TAG_OWNER];
    const keep = (reason: string): SweepVerdict => ({
      eniId: e.networkInterfaceId,
      owner,
      delete: false,
      reason,
    });
    if (!owner) return keep('no owner tag');
    if (e.status !== 'available') return keep(`status ${e.status}`);
    const ownerState = ownerStates.get(owner);
    if (ownerState && !GONE.has(ownerState)) return keep(`owner ${owner} is ${ownerState}`);
    const created = Date.parse(e.tags[TAG_CREATED_AT] ?? '');
    if (Number.isFinite(created) && nowMs - created < graceSeconds * 1000)
      return keep(`younger than the grace period (${graceSeconds}s)`);
    return {
      eniId: e.networkInterfaceId,
      owner,
      delete: true,
      reason: `owner ${owner} is ${ownerState ?? 'gone'}`,
    };
  });
}
