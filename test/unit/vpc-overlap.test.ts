// LAN-side CIDRs that overlap the VPC are refused per key; disjoint ones pass.
import { describe, expect, it } from 'vitest';
import { cidrsOverlap } from '../../agent/model/ipv4.ts';
import { vpcOverlaps } from '../../agent/model/vpc-overlap.ts';

describe('cidrsOverlap', () => {
  it.each([
    ['10.0.0.0/8', '10.20.0.0/16', true],
    ['10.20.0.0/16', '10.0.0.0/8', true],
    ['10.20.7.0/24', '10.20.0.0/16', true],
    ['10.21.0.0/16', '10.20.0.0/16', false],
    ['198.51.100.0/24', '10.20.0.0/16', false],
    ['0.0.0.0/0', '10.20.0.0/16', true],
    ['10.20.255.255/32', '10.20.0.0/16', true],
  ])('%s and %s → %s', (a, b, expected) => {
    expect(cidrsOverlap(a, b)).toBe(expected);
  });
});

describe('vpcOverlaps', () => {
  it('names each overlapping entry by key and index, with the VPC CIDR it hits', () => {
    const problems = vpcOverlaps(
      [
        { key: 'routes.onPrem', cidrs: ['198.51.100.0/24', '10.0.0.0/8'] },
        { key: 'snat.destinations', cidrs: ['100.64.0.0/16'] },
      ],
      ['10.20.0.0/16', '100.64.0.0/10'],
    );
    expect(problems.map((p) => [p.key, p.value])).toEqual([
      ['routes.onPrem.1', '10.0.0.0/8'],
      ['snat.destinations.0', '100.64.0.0/16'],
    ]);
    expect(problems[0]?.message).toContain("overlaps the VPC's 10.20.0.0/16");
    expect(problems[1]?.message).toContain("overlaps the VPC's 100.64.0.0/10");
  });

  it('finds nothing when the LAN side is outside the VPC', () => {
    expect(vpcOverlaps([{ key: 'routes.onPrem', cidrs: ['192.0.2.0/24'] }], ['10.20.0.0/16'])).toEqual([]);
  });
});
