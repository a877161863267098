// max-pods for the Outposts server instance types: the AMI's own value, and the agent's with the LNI taken out.
import { describe, expect, it } from 'vitest';
import { amiMaxPods, maxPods } from '../../agent/model/max-pods.ts';

// [type, vCPUs, ENIs, IPv4 per ENI, the AMI's value, with the LNI reserved]
// The AMI's values are awslabs/amazon-eks-ami eni-max-pods.txt (0ab8428) / nodeadm's formula (81fec2e).
const TABLE: [string, number, number, number, number, number][] = [
  ['c6gd.medium', 1, 2, 4, 8, 5],
  ['c6gd.large', 2, 3, 10, 29, 20],
  ['c6gd.xlarge', 4, 4, 15, 58, 44],
  ['c6gd.2xlarge', 8, 4, 15, 58, 44],
  ['c6gd.4xlarge', 16, 8, 30, 234, 205],
  ['c6id.large', 2, 3, 10, 29, 20],
  ['c6id.xlarge', 4, 4, 15, 58, 44],
  ['c6id.2xlarge', 8, 4, 15, 58, 44],
  ['c6id.4xlarge', 16, 8, 30, 234, 205],
  ['c6id.8xlarge', 32, 8, 30, 234, 205],
  // Beyond the Outposts servers: eni-max-pods.txt entries that show there is no 110/250 cap.
  ['m5.xlarge', 4, 4, 15, 58, 44],
  ['c5.18xlarge', 72, 15, 50, 737, 688],
];

describe('maxPods', () => {
  it.each(TABLE)(
    '%s: %i vCPU, %i ENIs × %i IPv4 → AMI %i, agent %i',
    (instanceType, vcpus, maxEnis, ipv4PerEni, ami, withLni) => {
      const type = { instanceType, vcpus, maxEnis, ipv4PerEni };
      expect(amiMaxPods(type)).toBe(ami);
      expect(maxPods({ type, reservedEnis: 1 })).toBe(withLni);
    },
  );

  it('counts every no_manage ENI, and under prefix delegation uses /28 prefixes with the calculator’s ceiling', () => {
    const type = { instanceType: 'c6id.8xlarge', vcpus: 32, maxEnis: 8, ipv4PerEni: 30 };
    expect(maxPods({ type, reservedEnis: 2 })).toBe(6 * 29 + 2);
    expect(maxPods({ type, reservedEnis: 1, prefixDelegation: true })).toBe(250);
    const small = { instanceType: 'c6gd.medium', vcpus: 1, maxEnis: 2, ipv4PerEni: 4 };
    expect(maxPods({ type: small, reservedEnis: 1, prefixDelegation: true })).toBe(1 * 3 * 16 + 2);
  });
});
