// kube-proxy's iptables mode for one LoadBalancer service on a lab node: service IP:port DNATed to one pod.
import { nsExec } from '../net/ip.ts';
import type { IptablesTool } from './vpc-cni.ts';

export interface LabService {
  /** Used in chain names (KUBE-EXT-<ID>, KUBE-SEP-<ID>); upper case, at most 12 characters. */
  id: string;
  ip: string;
  port: number;
  podIp: string;
  targetPort: number;
}

/**
 * The chains kube-proxy writes for a LoadBalancer service with externalTrafficPolicy: Local (the client's
 * address is kept, as MetalLB's docs advise for L2): nat PREROUTING and OUTPUT → KUBE-SERVICES →
 * KUBE-EXT-<id> → KUBE-SEP-<id> → DNAT to the pod. No masquerade mark, so nothing hides the routing.
 */
export async function addLoadBalancerService(
  ns: string,
  svc: LabService,
  tool: IptablesTool = 'iptables',
): Promise<void> {
  const ext = `KUBE-EXT-${svc.id}`;
  const sep = `KUBE-SEP-${svc.id}`;
  const { stdout } = await nsExec(ns, `${tool}-save`, ['-t', 'nat']);
  const portals = stdout.includes(':KUBE-SERVICES ')
    ? []
    : [
        ':KUBE-SERVICES - [0:0]',
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      ];
  const payload = [
    '*nat',
    ...portals,
    `:${ext} - [0:0]`,
    `:${sep} - [0:0]`,
    `-A KUBE-SERVICES -d ${svc.ip}/32 -p tcp -m comment --comment "lab/${svc.id} loadbalancer IP" -m tcp --dport ${svc.port} -j ${ext}`,
    `-A ${ext} -j ${sep}`,
    `-A ${sep} -p tcp -m tcp -j DNAT --to-destination ${svc.podIp}:${svc.targetPort}`,
    'COMMIT',
    '',
  ].join('\n');
  await nsExec(ns, `${tool}-restore`, ['--noflush', '--wait=5'], { input: payload });
}
