// Kubernetes networking on a lab node, the kernel parts only: VPC CNI host rules, a primary-ENI and a secondary-ENI pod,
// kube-proxy DNAT for two LoadBalancer IPs and a MetalLB-style ARP responder on the LNI.
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import type { Lab, LabNode } from '../lab.ts';
import { LAB_ADDRS } from '../net/index.ts';
import { addLoadBalancerService } from './kube-proxy.ts';
import { type L2Speaker, startL2Speaker } from './metallb-l2.ts';
import { LabPod, until } from './pod.ts';
import { CNI_VETH_PREFIX, type IptablesTool, installVpcCniRules, setUpSecondaryEni } from './vpc-cni.ts';

/** The lab VPC's CIDR block (fixture `vpcs[0]`), which the CNI's SNAT and connmark chains leave alone. */
export const LAB_VPC_CIDR = '10.20.0.0/16';
export const POD_PORT = 8080;
/** Service IPs from the LAN, announced on the LNI; the first DNATs to the primary-ENI pod, the second to the other. */
export const SERVICE_IPS: { primaryEniPod: string; secondaryEniPod: string } = {
  primaryEniPod: '192.0.2.240',
  secondaryEniPod: '192.0.2.241',
};
/** Device index and route table (device + 1) of the secondary ENI, as the VPC CNI numbers them. */
const SECONDARY = { deviceIndex: 2, table: 3 };

export interface NodeWorkloads {
  /** A pod whose address belongs to eth0 (main table). */
  primaryEniPod: LabPod;
  /** A pod whose address belongs to a secondary ENI (`from <pod> lookup 3` at 1536). */
  secondaryEniPod: LabPod;
  secondaryEni: { ifname: string; ip: string };
  /** Present when the LNI's name was given: the MetalLB-style responder for SERVICE_IPS on it. */
  speaker?: L2Speaker;
}

/** Attaches a plain ENI at device index 2 through the lab's EC2 API and waits for it to appear on the node. */
async function attachSecondaryEni(lab: Lab, node: LabNode): Promise<{ ifname: string; ip: string }> {
  const sdk = lab.sdk();
  const subnetId = lab.state.getInstance(node.instanceId)?.subnetId;
  const created = await sdk.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Description: 'aws-K8S' }),
  );
  const eni = created.NetworkInterface;
  if (!eni?.NetworkInterfaceId || !eni.MacAddress || !eni.PrivateIpAddress) throw new Error('no ENI created');
  await until('secondary ENI attach', async () => {
    await sdk.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId,
        InstanceId: node.instanceId,
        DeviceIndex: SECONDARY.deviceIndex,
      }),
    );
    return true;
  });
  sdk.destroy();
  let ifname = '';
  await until('secondary ENI link', async () => {
    ifname = (await lab.net.linkByMac(node.ns, eni.MacAddress ?? ''))?.ifname ?? '';
    return ifname !== '';
  });
  return { ifname, ip: eni.PrivateIpAddress };
}

/**
 * Builds the workloads on NODE; with `lniName` (the agent has configured the LNI) also the ARP responder on it.
 * `iptables` is the flavour the CNI and kube-proxy write their rules with.
 */
export async function setUpNodeWorkloads(
  lab: Lab,
  node: LabNode,
  opts: { lniName?: string; iptables?: IptablesTool; serviceIps?: typeof SERVICE_IPS } = {},
): Promise<NodeWorkloads> {
  const { lniName, iptables = 'iptables', serviceIps = SERVICE_IPS } = opts;
  // EKS AMIs forward IPv4 (pods are routed, not bridged); lab nodes start without it.
  await lab.net.exec(node.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const secondaryEni = await attachSecondaryEni(lab, node);
  await setUpSecondaryEni(node.ns, {
    ...secondaryEni,
    subnetCidr: LAB_ADDRS.vpcCidr,
    table: SECONDARY.table,
  });
  await installVpcCniRules(
    node.ns,
    { vpcCidrs: [LAB_VPC_CIDR], primaryIp: node.primaryIp, primaryIf: 'eth0' },
    iptables,
  );
  const [primaryEniPod, secondaryEniPod] = await Promise.all([
    LabPod.start(lab.net, node.ns, { name: 'pod-a', ip: '10.20.1.200', hostVeth: `${CNI_VETH_PREFIX}poda` }),
    LabPod.start(lab.net, node.ns, {
      name: 'pod-b',
      ip: '10.20.1.201',
      hostVeth: `${CNI_VETH_PREFIX}podb`,
      eniTable: SECONDARY.table,
    }),
  ]);
  await Promise.all([primaryEniPod.serveHttp(POD_PORT), secondaryEniPod.serveHttp(POD_PORT)]);
  const services = [
    { id: 'PODA', ip: serviceIps.primaryEniPod, pod: primaryEniPod },
    { id: 'PODB', ip: serviceIps.secondaryEniPod, pod: secondaryEniPod },
  ];
  for (const s of services)
    await addLoadBalancerService(
      node.ns,
      {
        id: s.id,
        ip: s.ip,
        port: 80,
        podIp: s.pod.spec.ip,
        targetPort: POD_PORT,
      },
      iptables,
    );
  const speaker = lniName
    ? await startL2Speaker(lab.net, node.ns, lniName, Object.values(serviceIps))
    : undefined;
  return { primaryEniPod, secondaryEniPod, secondaryEni, speaker };
}
