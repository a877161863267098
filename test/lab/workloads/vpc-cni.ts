// The VPC CNI's host side on a lab node: its nat/mangle rules as pkg/networkutils writes them, and a secondary ENI's table.
import { ipBatch, ipJson, nsExec } from '../net/ip.ts';

/** amazon-vpc-cni-k8s defaults: connmark 0x80, veth prefix `eni`, SNAT with --random-fully. */
const CONNMARK = '0x80';
export const CNI_VETH_PREFIX = 'eni';
/** The CNI's rule for marked (NodePort / non-VPC) traffic: `fwmark 0x80/0x80 lookup main`. */
const HOST_RULE_PRIORITY = 1024;

/** `iptables` (the host's default flavour, nft here) or `iptables-legacy` (AL2, or an aws-node that chose legacy). */
export type IptablesTool = 'iptables' | 'iptables-legacy';

export interface VpcCniHost {
  vpcCidrs: string[];
  /** eth0's address: the CNI SNATs non-VPC pod traffic to it. */
  primaryIp: string;
  primaryIf: string;
}

/**
 * The rules `updateHostIptablesRules` leaves with the defaults (external SNAT off, NodePort support on),
 * appended as the CNI appends them: nat POSTROUTING → AWS-SNAT-CHAIN-0 (RETURN for VPC CIDRs, then
 * `! -o vlan+ … -j SNAT --to-source <eth0>`), the connmark chain for pod connections leaving the VPC, the
 * mangle connmark rules, and `fwmark 0x80/0x80 lookup main` at 1024.
 */
export async function installVpcCniRules(
  ns: string,
  host: VpcCniHost,
  tool: IptablesTool = 'iptables',
): Promise<void> {
  const veths = `${CNI_VETH_PREFIX}+`;
  const payload = [
    '*nat',
    ':AWS-SNAT-CHAIN-0 - [0:0]',
    ':AWS-CONNMARK-CHAIN-0 - [0:0]',
    `-A PREROUTING -i ${veths} -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0`,
    `-A PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask ${CONNMARK} --ctmask ${CONNMARK}`,
    '-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0',
    ...host.vpcCidrs.map(
      (c) => `-A AWS-SNAT-CHAIN-0 -d ${c} -m comment --comment "AWS SNAT CHAIN" -j RETURN`,
    ),
    `-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${host.primaryIp} --random-fully`,
    ...host.vpcCidrs.map(
      (c) => `-A AWS-CONNMARK-CHAIN-0 -d ${c} -m comment --comment "AWS CONNMARK CHAIN, VPC CIDR" -j RETURN`,
    ),
    `-A AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark ${CONNMARK}/${CONNMARK}`,
    'COMMIT',
    '*mangle',
    `-A PREROUTING -i ${host.primaryIf} -m comment --comment "AWS, primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark ${CONNMARK}/${CONNMARK}`,
    `-A PREROUTING -i ${veths} -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask ${CONNMARK} --ctmask ${CONNMARK}`,
    'COMMIT',
    '',
  ].join('\n');
  await nsExec(ns, `${tool}-restore`, ['--noflush', '--wait=5'], { input: payload });
  await ipBatch(ns, [`rule add fwmark ${CONNMARK}/${CONNMARK} lookup main priority ${HOST_RULE_PRIORITY}`]);
}

/**
 * A secondary ENI as `setupENINetwork` configures it: up, its primary IP with the subnet's mask, table
 * <device+1> with the subnet router as a link route and the default via it, the main table's subnet route
 * removed.
 */
export async function setUpSecondaryEni(
  ns: string,
  eni: { ifname: string; ip: string; subnetCidr: string; table: number },
): Promise<void> {
  const [base = '', len = ''] = eni.subnetCidr.split('/');
  const router = base.replace(/\d+$/, (d) => String(Number(d) + 1));
  await ipBatch(ns, [
    `link set dev ${eni.ifname} up`,
    `addr add ${eni.ip}/${len} dev ${eni.ifname}`,
    `route replace ${router} dev ${eni.ifname} scope link table ${eni.table}`,
    `route replace default via ${router} dev ${eni.ifname} table ${eni.table}`,
    `route del ${eni.subnetCidr} dev ${eni.ifname} table main`,
  ]);
  const left = await ipJson<unknown[]>(['-n', ns, 'route', 'show', eni.subnetCidr, 'dev', eni.ifname]);
  if (left.length) throw new Error(`main still routes ${eni.subnetCidr} by ${eni.ifname}`);
}
