// max-pods for the Outposts server instance types, before and after taking the LNI's ENI out.
import { describe, expect, it } from 'vitest';
import { maxPods, uncappedMaxPods } from '../../agent/model/max-pods.ts';

// [type, vCPUs, ENIs, IPv4 per ENI, EKS default (eni-max-pods.txt), capped default, with the LNI reserved]
const TABLE: [string, number, number, number, number, number, number][] = [
  ['c6gd.medium', 1, 2, 4, 8, 8, 5],
  ['c6gd.large', 2, 3, 10, 29, 29, 20],
  ['c6gd.xlarge', 4, 4, 15, 58, 58, 44],
  ['c6gd.2xlarge', 8, 4, 15, 58, 58, 44],
  ['c6gd.4xlarge', 16, 8, 30, 234, 110, 110],
  ['c6id.large', 2, 3, 10, 29, 29, 20],
  ['c6id.xlarge', 4, 4, 15, 58, 58, 44],
  ['c6id.2xlarge', 8, 4, 15, 58, 58, 44],
  ['c6id.4xlarge', 16, 8, 30, 234, 110, 110],
  ['c6id.8xlarge', 32, 8, 30, 234, 234, 205],
];

describe('maxPods', () => {
  it.each(TABLE)(
    '%s: %i vCPU, %i ENIs × %i IPv4',
    (instanceType, vcpus, maxEnis, ipv4PerEni, eksDefault, capped, withLni) => {
      const type = { instanceType, vcpus, maxEnis, ipv4PerEni };
      expect(uncappedMaxPods({ type, reservedEnis: 0 })).toBe(eksDefault);
      expect(maxPods({ type, reservedEnis: 0 })).toBe(capped);
      expect(maxPods({ type, reservedEnis: 1 })).toBe(withLni);
    },
  );

  it('counts every no_manage ENI, and uses /28 prefixes under prefix delegation', () => {
    const type = { instanceType: 'c6id.8xlarge', vcpus: 32, maxEnis: 8, ipv4PerEni: 30 };
    expect(maxPods({ type, reservedEnis: 2 })).toBe(6 * 29 + 2);
    expect(uncappedMaxPods({ type, reservedEnis: 1, prefixDelegation: true })).toBe(7 * 29 * 16 + 2);
    expect(maxPods({ type, reservedEnis: 1, prefixDelegation: true })).toBe(250);
  });
});
