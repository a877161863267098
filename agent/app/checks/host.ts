// Host-side checks: the LNI link/address/sysctls, policy rule and table, where replies go, default route, gateway
// ARP, pod SNAT.

import { fail, pass, skip } from '../../model/checks.ts';
import {
  defaultRouteCheck,
  type HostCheckId,
  hostChecks,
  podSnatCheck,
  replyRouteCheck,
  replyTargets,
} from '../../model/checks-host.ts';
import { pickDhcpClient } from '../../model/dhcp-client.ts';
import { detectDistro } from '../distro.ts';
import { dhcpClientsAvailable } from '../fence.ts';
import { snatDrift } from '../snat.ts';
import { BOUNDS, type CheckDef, type DiagnoseContext, within } from './context.ts';

/** Waits for the LNI identity (IMDS/EC2/state), the host's links, then one `ip -json` observation. */
const HOST_CHAIN_MS = BOUNDS.imds + 2 * BOUNDS.ec2 + 2 * BOUNDS.host;

async function evaluate(ctx: DiagnoseContext, id: HostCheckId) {
  const d = await ctx.need(ctx.desired(), 'the LNI configuration');
  const [observed, slot] = await Promise.all([ctx.observed(), ctx.lniSlot()]);
  const ec2PrivateIp = slot.privateIps.find((ip) => ip !== d.address.address);
  return hostChecks(observed, d, { ec2PrivateIp })[id];
}

const fromDiff = (id: HostCheckId, group: 'lni' | 'routing', title: string): CheckDef => ({
  id,
  group,
  title,
  timeoutMs: HOST_CHAIN_MS,
  run: (ctx) => evaluate(ctx, id),
});

export const hostCheckDefs: CheckDef[] = [
  {
    id: 'lni.dhcp-client',
    group: 'lni',
    title: 'the DHCP client that gives the LNI its lease (addressing.mode dhcp)',
    timeoutMs: BOUNDS.files + BOUNDS.host,
    async run(ctx) {
      const a = ctx.config.addressing;
      if (a.mode !== 'dhcp') return skip(`addressing.mode is ${a.mode}: no DHCP client needed`);
      const [{ distro }, available] = await Promise.all([
        within(BOUNDS.files, 'files', 'os-release', detectDistro(ctx.deps.files)),
        within(BOUNDS.host, 'host', 'processes', dhcpClientsAvailable(ctx.deps)),
      ]);
      const choice = pickDhcpClient(a.client, distro, available);
      if ('problem' in choice) return fail(choice.problem, 'a DHCP client for the LNI', choice.hint);
      return pass(`${choice.client} (${choice.why})`);
    },
  },
  {
    id: 'lni.interface',
    group: 'lni',
    title: "the OS interface with the LNI's MAC is up with the configured MTU",
    timeoutMs: HOST_CHAIN_MS,
    async run(ctx) {
      const slot = await ctx.need(ctx.lniSlot(), 'the LNI');
      if (!(await ctx.links()).some((l) => l.mac === slot.mac))
        return fail(
          `no interface has the LNI's MAC ${slot.mac}`,
          `an interface with MAC ${slot.mac}`,
          'the ENI is attached but the OS shows no interface for it: check `ip link`, dmesg (ena driver) and whether a detach is in progress',
        );
      return evaluate(ctx, 'lni.interface');
    },
  },
  fromDiff('lni.address', 'lni', 'the LNI has its LAN address (and not its EC2 private IP)'),
  fromDiff('lni.sysctls', 'lni', 'arp_ignore, arp_announce and rp_filter on the LNI'),
  fromDiff('routing.rule', 'routing', 'the policy rule `from <lni-address> lookup <table>`'),
  fromDiff('routing.table', 'routing', "the LNI table holds the LAN route and the gateway's default"),
  fromDiff('routing.on-prem', 'routing', 'configured on-prem CIDRs route via the LAN gateway on the LNI'),
  {
    id: 'routing.replies-via-lni',
    group: 'routing',
    title: 'replies from the LNI address leave by the LNI (ip route get … from <lni-address>)',
    timeoutMs: HOST_CHAIN_MS + BOUNDS.host,
    async run(ctx) {
      const d = await ctx.need(ctx.desired(), 'the LNI configuration');
      const targets = replyTargets(d);
      if (!targets.length)
        return skip('no LAN gateway is known (static without gateway, or a lease without a router)');
      const lookups = await within(
        BOUNDS.host,
        'host',
        'ip route get',
        Promise.all(
          targets.map(async (t) => ({
            ...t,
            route: await ctx.deps.hostNet.routeGet({ to: t.to, from: d.address.address }),
          })),
        ),
      );
      return replyRouteCheck(d, lookups);
    },
  },
  {
    id: 'routing.default-route',
    group: 'routing',
    title: 'the default route stays on the primary interface (eth0)',
    timeoutMs: BOUNDS.imds + BOUNDS.host,
    async run(ctx) {
      const [facts, links, inst] = await Promise.all([
        ctx.mainRoutes(),
        ctx.links(),
        ctx.instance().catch(() => undefined),
      ]);
      const primary = links.find((l) => l.mac === inst?.primaryMac)?.name ?? 'eth0';
      const lniIfs = await ctx.desired().then(
        (d) => [d.ifname, d.lniName],
        () => [],
      );
      return defaultRouteCheck(facts, primary, lniIfs);
    },
  },
  {
    id: 'routing.gateway-arp',
    group: 'routing',
    title: 'the LAN gateway answers ARP on the LNI',
    timeoutMs: HOST_CHAIN_MS + BOUNDS.arp,
    async run(ctx) {
      const d = await ctx.need(ctx.desired(), 'the LNI configuration');
      const gateway = d.address.gateway;
      if (!gateway)
        return skip('no LAN gateway is known (static without gateway, or a lease without a router)');
      const probeMs = 1000;
      const answered = await within(
        BOUNDS.arp,
        'host',
        'arping',
        ctx.deps.hostNet.addressInUse({ ifname: d.ifname, address: gateway, timeoutMs: probeMs }),
      );
      return answered
        ? pass(`${gateway} answered on ${d.ifname}`)
        : fail(
            `no ARP answer from ${gateway} on ${d.ifname} within ${probeMs} ms`,
            `${gateway} answers ARP`,
            "the LAN gateway is not reachable at layer 2 on the LNI: check the gateway address, the VLAN (lni.vlan) and the switch port of the server's LNI uplink",
          );
    },
  },
  {
    id: 'routing.pod-snat',
    group: 'routing',
    title: "pods reach the LAN with the LNI address: the agent's SNAT chain comes first in nat POSTROUTING",
    timeoutMs: HOST_CHAIN_MS + BOUNDS.host,
    async run(ctx) {
      if (!ctx.config.snat.enabled)
        return skip('snat.enabled=false: pod traffic to the LAN is left to the VPC CNI');
      const d = await ctx.need(ctx.desired(), 'the LNI configuration');
      const recorded = (await ctx.need(ctx.state(), 'the state file'))?.snat;
      const drift = await within(
        BOUNDS.host,
        'host',
        'iptables-save',
        snatDrift(ctx.config, ctx.deps, d, recorded),
      );
      if (!drift)
        return skip('the state file records no pod SNAT (up has not set it up yet, or an older agent did)');
      return podSnatCheck(drift.steps, drift.observed, drift.ruleCount, drift.backend);
    },
  },
];
