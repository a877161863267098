// The one place that lists every configuration parameter, its default and its one-line doc.
import { z } from 'zod';

// One-shot processes parse the config once: compiling a fast validator first would cost more than it saves.
z.config({ jitless: true });

import { isValidCidr, isValidIpv4 } from '../model/ipv4.ts';

const ipv4 = z.string().refine(isValidIpv4, { message: 'not an IPv4 address' });
const cidr = z.string().refine(isValidCidr, { message: 'not an IPv4 CIDR (a.b.c.d/n)' });
const ipv4WithPrefix = z
  .string()
  .refine((s) => isValidCidr(s, { hostBitsAllowed: true }), { message: 'not an address/prefix (a.b.c.d/n)' });
const label = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
  message: 'not a valid Kubernetes label key',
});
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  message: 'not a valid Kubernetes label value',
});

const staticAddressing = z.strictObject({
  mode: z.literal('static'),
  address: ipv4WithPrefix.describe('LNI address with prefix length on the LAN, e.g. 192.0.2.10/24'),
  gateway: ipv4.optional().describe('LAN gateway; on-prem routes use it'),
});
const dhcpAddressing = z.strictObject({
  mode: z.literal('dhcp'),
  timeoutSeconds: z.number().int().min(1).max(600).default(30).describe('how long to wait for a lease'),
  client: z
    .enum(['auto', 'dhclient', 'networkd', 'networkmanager'])
    .default('auto')
    .describe(
      'the DHCP client: auto picks by what the node runs (AL2023 systemd-networkd, RHEL NetworkManager, AL2 dhclient), or name one',
    ),
});
const poolAddressing = z.strictObject({
  mode: z.literal('pool'),
  start: ipv4.describe('first address of the range the agent may claim'),
  end: ipv4.describe('last address of the range the agent may claim'),
  prefixLength: z.number().int().min(8).max(30).describe('prefix length of the LAN'),
  gateway: ipv4.optional().describe('LAN gateway; on-prem routes use it'),
  probeTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(10_000)
    .default(1000)
    .describe('ARP probe wait per candidate before claiming it (RFC 5227)'),
});

export const configSchema = z.strictObject({
  cluster: z
    .strictObject({
      name: z
        .string()
        .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { message: 'not a valid EKS cluster name' })
        .optional()
        .describe('EKS cluster name; required unless join.mode is none'),
      apiServerEndpoint: z.url().optional().describe('EKS API server endpoint (https URL)'),
      certificateAuthority: z.base64().optional().describe('base64 cluster CA bundle'),
      serviceCidr: cidr
        .optional()
        .describe(
          'Kubernetes service CIDR; cluster DNS is its .10 (AL2 bootstrap.sh --service-ipv4-cidr, AL2023 NodeConfig spec.cluster.cidr)',
        ),
    })
    .prefault({})
    .describe('the EKS cluster to join'),
  lni: z
    .strictObject({
      deviceIndex: z
        .number()
        .int()
        .min(1, { message: 'the LNI can never be at device index 0' })
        .max(31)
        .optional()
        .describe("device index to attach the LNI at; default: the subnet's EnableLniAtDeviceIndex"),
      subnetId: z
        .string()
        .regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'not a subnet id' })
        .optional()
        .describe("subnet to create the LNI in; default: the instance's own subnet"),
      subnetTags: z
        .record(z.string(), z.string())
        .optional()
        .describe('or: find the LNI subnet by these tags on the same outpost'),
      mtu: z.number().int().min(576).max(9216).default(1500).describe('LNI MTU (the LAN is 1500, not 9001)'),
      name: z
        .string()
        .regex(/^(kernel|[a-zA-Z][a-zA-Z0-9_-]{0,14})$/, {
          message: "an interface name of at most 15 characters, or 'kernel'",
        })
        .default('lni0')
        .describe("one LNI name on every node (MetalLB, Multus need it); 'kernel' keeps the kernel's name"),
      vlan: z.number().int().min(1).max(4094).optional().describe('optional 802.1Q VLAN id on the LNI'),
      attachTimeoutSeconds: z.number().int().min(5).max(900).default(120).describe('bound on attach + link'),
    })
    .prefault({})
    .describe('the Local Network Interface'),
  addressing: z
    .discriminatedUnion('mode', [staticAddressing, dhcpAddressing, poolAddressing])
    .prefault({ mode: 'dhcp' })
    .describe('how the LNI gets its LAN address: static, dhcp or pool'),
  routes: z
    .strictObject({
      onPrem: z.array(cidr).default([]).describe('on-prem CIDRs routed via the LAN gateway'),
      table: z
        .number()
        .int()
        .min(1)
        .max(252)
        .default(200)
        .describe('policy routing table for the LNI (clear of VPC CNI 1-31 and net-utils 10000+)'),
      rulePriority: z
        .number()
        .int()
        .min(1)
        .max(32000)
        .default(2000)
        .describe('priority of "from <lni-address> lookup <table>" (clear of 512/1024/1536, 10000+, 32765)'),
    })
    .prefault({})
    .describe('routing for the LNI'),
  snat: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          'SNAT pod traffic that leaves by the LNI to the LNI address (chain OUTPOSTS-LNI-SNAT, jumped to first from nat POSTROUTING, ahead of the VPC CNI AWS-SNAT-CHAIN-0)',
        ),
      sources: z
        .array(cidr)
        .optional()
        .describe(
          "source CIDRs to SNAT; default: the VPC's CIDR blocks (IMDS), else the instance subnet's CIDR",
        ),
      destinations: z
        .array(cidr)
        .optional()
        .describe("destination CIDRs (SNAT and rules); default: the LNI's LAN plus routes.onPrem"),
      lanRulePriority: z
        .number()
        .int()
        .refine((p) => p === 0 || (p >= 1025 && p <= 1534), {
          message:
            "0, or 1025-1534 (ahead of the VPC CNI's per-pod rules at 1536, clear of its 1024 and 1535)",
        })
        .default(1530)
        .describe(
          'priority of "to <destination> lookup <routes.table>" rules, so pods on secondary ENIs reach the LAN by the LNI; 0 = none',
        ),
    })
    .prefault({})
    .describe('pod traffic to the LAN (SNAT to the LNI address, rules ahead of the VPC CNI)'),
  sysctls: z
    .strictObject({
      arpIgnore: z.number().int().min(0).max(8).default(1).describe('net.ipv4.conf.<lni>.arp_ignore'),
      arpAnnounce: z.number().int().min(0).max(2).default(2).describe('net.ipv4.conf.<lni>.arp_announce'),
      rpFilter: z.number().int().min(0).max(2).default(2).describe('net.ipv4.conf.<lni>.rp_filter'),
    })
    .prefault({})
    .describe('per-interface sysctls on the LNI'),
  join: z
    .strictObject({
      mode: z
        .enum(['auto', 'bootstrap-sh', 'nodeadm', 'none'])
        .default('auto')
        .describe(
          "how to join EKS: auto picks by distro (AL2/RHEL: run bootstrap.sh; AL2023 nodeadm: write the /etc/eks/nodeadm.d drop-in the AMI's nodeadm-run.service merges with the user data NodeConfig)",
        ),
      kubeletExtraArgs: z.array(z.string()).default([]).describe('extra kubelet flags'),
      nodeLabels: z.record(label, labelValue).default({}).describe('extra node labels'),
      maxPods: z
        .union([z.literal('auto'), z.literal('off'), z.number().int().min(1).max(1000)])
        .default('auto')
        .describe(
          "kubelet max-pods: auto = the AMI's own value (nodeadm, eni-max-pods.txt: ENIs × (IPv4 − 1) + 2, uncapped) without the LNI's ENI; off = leave it to the AMI; or a number",
        ),
      prefixDelegation: z
        .boolean()
        .default(false)
        .describe(
          'the VPC CNI runs with prefix delegation: auto max-pods counts /28 prefixes per ENI, capped at 110 (≤ 30 vCPUs) / 250 as max-pods-calculator.sh does',
        ),
    })
    .prefault({})
    .describe('joining the cluster'),
  paths: z
    .strictObject({
      stateFile: z
        .string()
        .default('/var/lib/outposts-node-agent/state.json')
        .describe('where the agent records what it created'),
      lockFile: z.string().default('/run/outposts-node-agent/agent.lock').describe('single-instance lock'),
      runDir: z
        .string()
        .default('/run/outposts-node-agent')
        .describe('runtime files (DHCP client script, pid and lease files)'),
      hostRoot: z
        .string()
        .default('/')
        .describe(
          'where the host filesystem is (e.g. /host when run from a container); /etc files go under it',
        ),
      lockWaitSeconds: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(0)
        .describe('how long a second run waits for the lock (0: exit 7 at once)'),
    })
    .prefault({})
    .describe('files the agent owns'),
  release: z
    .strictObject({
      onTerminate: z
        .enum(['delete', 'keep'])
        .default('delete')
        .describe('instance terminating: delete the LNI the agent created'),
      onStop: z
        .enum(['delete', 'keep'])
        .default('keep')
        .describe('plain stop/reboot: keep the LNI attached so the node keeps its address'),
      timeoutSeconds: z.number().int().min(5).max(600).default(60).describe('release gives up after this'),
    })
    .prefault({})
    .describe('what release does'),
  sweep: z
    .strictObject({
      gracePeriodSeconds: z
        .number()
        .int()
        .min(0)
        .default(900)
        .describe('an orphan must be this old before sweep deletes it'),
    })
    .prefault({})
    .describe('orphan clean-up'),
  metrics: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('write the Prometheus metrics file (up, watch, release, sweep and diagnose update it)'),
      directory: z
        .string()
        .regex(/^\//, { message: 'not an absolute path' })
        .default('/var/lib/node_exporter/textfile_collector')
        .describe(
          "node_exporter's --collector.textfile.directory; Debian's prometheus-node-exporter reads /var/lib/prometheus/node-exporter; with kube-prometheus-stack, the hostPath mounted into the node-exporter DaemonSet (examples/metrics)",
        ),
    })
    .prefault({})
    .describe('metrics for node_exporter’s textfile collector'),
  watch: z
    .strictObject({
      sysctlCheckSeconds: z
        .number()
        .min(0.5)
        .max(300)
        .default(5)
        .describe('how often watch re-reads the LNI sysctls (sysctl changes raise no netlink event)'),
      fullCheckSeconds: z
        .number()
        .min(1)
        .max(3600)
        .default(60)
        .describe(
          'a full host and SNAT diff at least this often (iptables changes raise no netlink event), besides the one each netlink event triggers',
        ),
    })
    .prefault({})
    .describe('the watch command'),
  lifecycleHook: z
    .strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9\-_/]{1,255}$/, { message: 'not a lifecycle hook name' })
        .optional()
        .describe(
          'the autoscaling:EC2_INSTANCE_TERMINATING hook this agent owns: after release it heartbeats and completes only this one (CONTINUE); unset: release on termination, complete no hook (e.g. aws-node-termination-handler owns the hook)',
        ),
      group: z
        .string()
        .min(1)
        .max(255)
        .optional()
        .describe("the Auto Scaling group; default: the instance's group (DescribeAutoScalingInstances)"),
      heartbeatShare: z
        .number()
        .gt(0)
        .lt(1)
        .default(0.5)
        .describe(
          "while release runs, send RecordLifecycleActionHeartbeat each time this fraction of the hook's HeartbeatTimeout passes",
        ),
      pollSeconds: z
        .number()
        .min(0.5)
        .max(60)
        .default(5)
        .describe(
          'how often watch reads IMDS autoscaling/target-lifecycle-state (Terminated: release, then complete); a hook holds the instance at least 30 s',
        ),
    })
    .prefault({})
    .describe('the Auto Scaling termination lifecycle hook, handled by watch'),
  preflight: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          'before up changes EC2, send each planned call with DryRun=true and refuse (exit 11) if one is denied',
        ),
      requireOutpost: z
        .boolean()
        .default(true)
        .describe('refuse to run off an outpost (false only for testing)'),
    })
    .prefault({})
    .describe('checks before any change'),
});

export type AgentConfig = z.infer<typeof configSchema>;
export type Addressing = AgentConfig['addressing'];
