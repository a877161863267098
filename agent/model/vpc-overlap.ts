// Pure: LAN-side CIDRs from the config that overlap the VPC, which would send VPC traffic to the LAN gateway.
import { cidrsOverlap } from './ipv4.ts';

export interface OverlapProblem {
  key: string;
  message: string;
  value: string;
}

/**
 * `routes.onPrem` goes into the main table via the LAN gateway, and `snat.destinations` gets a rule ahead of the
 * VPC CNI's: either one overlapping a VPC CIDR (10.0.0.0/8 in a 10.x VPC, say) would steer traffic to the API
 * server's ENIs and to other nodes out of the LNI. Each overlap is one problem naming the key and the VPC CIDR.
 */
export function vpcOverlaps(
  lanSide: { key: string; cidrs: readonly string[] }[],
  vpcCidrs: readonly string[],
): OverlapProblem[] {
  const problems: OverlapProblem[] = [];
  for (const { key, cidrs } of lanSide)
    cidrs.forEach((cidr, i) => {
      const hit = vpcCidrs.find((v) => cidrsOverlap(cidr, v));
      if (hit)
        problems.push({
          key: `${key}.${i}`,
          value: cidr,
          message: `overlaps the VPC's ${hit}: traffic to the VPC (the EKS API server's ENIs, other nodes) would leave by the LAN; list only on-prem ranges outside ${vpcCidrs.join(', ')}`,
        });
    });
  return problems;
}
