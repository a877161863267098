// Pure: the host-side checks (LNI link, address, sysctls, policy rule and table, routes) from the host diff.
import { type CheckOutcome, fail, pass, warn } from './checks.ts';
import { diffHost, tableRoutes } from './plan-host.ts';
import { type NatBackend, SNAT_CHAIN, type SnatFacts, type SnatStep } from './plan-snat.ts';
import type { DesiredHost, HostFacts, HostStep, RouteFacts } from './types.ts';

export type HostCheckId =
  | 'lni.interface'
  | 'lni.address'
  | 'lni.sysctls'
  | 'routing.rule'
  | 'routing.table'
  | 'routing.on-prem';

const RERUN = 'run `outposts-node-agent up` to restore it (the watch service keeps it converged)';

/** Which diff steps belong to which check. */
function owner(step: HostStep, d: DesiredHost): HostCheckId {
  switch (step.kind) {
    case 'link-up':
    case 'link-mtu':
    case 'vlan-add':
    case 'link-del':
    case 'link-down':
    case 'link-rename':
      return 'lni.interface';
    case 'addr-add':
    case 'addr-del':
      return 'lni.address';
    case 'sysctl':
      return 'lni.sysctls';
    case 'rule-add':
    case 'rule-del':
      return 'routing.rule';
    case 'route-replace':
    case 'route-del':
      return step.table === d.table || step.table === String(d.table) ? 'routing.table' : 'routing.on-prem';
  }
}

const route = (r: { dst: string; gateway?: string; dev?: string; ifname?: string }) =>
  `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${(r.dev ?? r.ifname) ? ` dev ${r.dev ?? r.ifname}` : ''}`;
const list = (items: string[], none: string) => (items.length ? items.join('; ') : none);

/** The six host checks, each pass when the diff has no step of its kind. */
export function hostChecks(
  observed: HostFacts,
  d: DesiredHost,
  opts: { ec2PrivateIp?: string } = {},
): Record<HostCheckId, CheckOutcome> {
  const steps = diffHost(observed, d);
  const has = (id: HostCheckId) => steps.some((s) => owner(s, d) === id);
  const links = [d.lniName, ...(d.vlan ? [d.vlan.name] : [])].map((name) => {
    const l = observed.links.find((x) => x.name === name);
    return l ? `${name} ${l.up ? 'UP' : 'DOWN'} mtu ${l.mtu}` : `${name} missing`;
  });
  const want = `${d.address.address}/${d.address.prefixLength}`;
  const addrs = observed.addresses
    .filter((a) => a.ifname === d.ifname || a.ifname === d.lniName)
    .map((a) => `${a.address}/${a.prefixLength} on ${a.ifname}`);
  const sysctl = (values: Record<string, string | undefined>) =>
    Object.keys(d.sysctls)
      .map((k) => `${k.replace(/^net\/ipv4\/conf\//, '').replace('/', '.')}=${values[k] ?? '?'}`)
      .join(' ');
  const rules = observed.rules
    .filter((r) => r.priority === d.rulePriority)
    .map((r) => `from ${r.from ?? 'all'} lookup ${r.table} priority ${r.priority}`);
  const inTable = observed.routes.filter((r) => r.table === String(d.table)).map(route);
  const onPrem = observed.routes
    .filter((r) => r.table === 'main' && d.onPrem.some((c) => c === r.dst || `${r.dst}/32` === c))
    .map(route);
  const gateway = d.address.gateway;
  const leaked = opts.ec2PrivateIp && observed.addresses.some((a) => a.address === opts.ec2PrivateIp);

  return {
    'lni.interface': has('lni.interface')
      ? fail(
          list(links, 'no link'),
          links.map((l) => `${l.split(' ')[0]} UP mtu ${d.mtu}`).join('; '),
          `the LNI must be up with the LAN's MTU (${d.mtu}); ${RERUN}, and check no other network manager owns ${d.lniName}`,
        )
      : pass(list(links, 'no link')),
    'lni.address': leaked
      ? fail(
          list(addrs, 'no address'),
          `${want} on ${d.ifname} only`,
          `the LNI's EC2 private IP ${opts.ec2PrivateIp} is configured on the host: it is not usable on the LAN; remove it (\`ip addr del ${opts.ec2PrivateIp}/… dev ${d.ifname}\`) and find what put it there (a DHCP client from the VPC side, ec2-net-utils)`,
        )
      : has('lni.address')
        ? fail(
            list(addrs, 'no address'),
            `${want} on ${d.ifname}`,
            d.address.source === 'dhcp'
              ? `the DHCP lease is gone or changed: check the LAN's DHCP server, then ${RERUN}`
              : RERUN,
          )
        : pass(list(addrs, 'no address'), `${want} on ${d.ifname}`),
    'lni.sysctls': has('lni.sysctls')
      ? fail(
          sysctl(observed.sysctls),
          sysctl(d.sysctls),
          `arp_ignore/arp_announce keep the LNI from answering ARP for eth0's address and rp_filter=2 lets asymmetric LAN replies in; ${RERUN} (or: sysctl -w on ${d.ifname})`,
        )
      : pass(sysctl(observed.sysctls)),
    'routing.rule': has('routing.rule')
      ? fail(
          list(rules, `no rule at priority ${d.rulePriority}`),
          `from ${d.address.address} lookup ${d.table} priority ${d.rulePriority}`,
          `without this rule replies from ${d.address.address} to clients beyond the LAN leave by eth0 and are lost; ${RERUN} (or: ip rule add from ${d.address.address} lookup ${d.table} priority ${d.rulePriority})`,
        )
      : pass(list(rules, '')),
    'routing.table': has('routing.table')
      ? fail(
          list(inTable, `table ${d.table} is empty`),
          tableRoutes(d)
            .map((r) => route({ ...r, dev: d.ifname }))
            .join('; '),
          `table ${d.table} must hold the LAN route${gateway ? ` and a default via ${gateway}` : ''} on ${d.ifname}; ${RERUN}`,
        )
      : pass(list(inTable, '')),
    'routing.on-prem': !d.onPrem.length
      ? pass('no on-prem CIDRs configured (routes.onPrem)')
      : !gateway
        ? warn(
            list(onPrem, 'none'),
            d.onPrem.map((c) => `${c} via <gateway> dev ${d.ifname}`).join('; '),
            'routes.onPrem needs a LAN gateway: set addressing.gateway (static/pool) or get one from DHCP',
          )
        : has('routing.on-prem')
          ? fail(
              list(onPrem, 'none'),
              d.onPrem.map((c) => `${c} via ${gateway} dev ${d.ifname}`).join('; '),
              `traffic to the on-prem networks would leave by eth0 (the VPC); ${RERUN}`,
            )
          : pass(list(onPrem, '')),
  };
}

/** An address beyond any LAN (RFC 5737 TEST-NET-3) stands for "a client behind the LAN gateway". */
export const BEYOND_LAN_PROBE = '203.0.113.1';

/** Where replies from the LNI address go: `to` addresses worth looking up, with why. */
export function replyTargets(d: DesiredHost): { to: string; why: string }[] {
  const gateway = d.address.gateway;
  if (!gateway) return [];
  const firstHost = (cidr: string) => {
    const [base = ''] = cidr.split('/');
    const parts = base.split('.').map(Number);
    parts[3] = (parts[3] ?? 0) + 1;
    return parts.join('.');
  };
  return [
    { to: gateway, why: 'the LAN gateway' },
    { to: BEYOND_LAN_PROBE, why: 'a client beyond the LAN gateway' },
    ...d.onPrem.map((c) => ({ to: firstHost(c), why: `on-prem ${c}` })),
  ];
}

/** Replies from the LNI address must leave by the LNI (the seed's bug: they left by eth0). */
export function replyRouteCheck(
  d: DesiredHost,
  lookups: readonly { to: string; why: string; route?: RouteFacts }[],
): CheckOutcome {
  const seen = lookups.map(
    (l) => `${l.to} from ${d.address.address} → ${l.route ? route(l.route) : 'no route'}`,
  );
  const wrong = lookups.filter((l) => l.route?.dev !== d.ifname);
  if (!wrong.length) return pass(seen.join('; '), `dev ${d.ifname}`);
  const viaOther = wrong.find((l) => l.route?.dev);
  return fail(
    seen.join('; '),
    `dev ${d.ifname}`,
    viaOther
      ? `replies from ${d.address.address} to ${viaOther.why} leave by ${viaOther.route?.dev}, not the LNI, so LAN clients never get them: restore the policy rule and table (run \`outposts-node-agent up\`)`
      : `no route from ${d.address.address}: ${RERUN}`,
  );
}

/** The default route stays on the primary interface (the Region, the control plane) and not on the LNI. */
export function defaultRouteCheck(observed: HostFacts, primaryIf: string, lniIfs: string[]): CheckOutcome {
  const defaults = observed.routes.filter((r) => r.table === 'main' && r.dst === 'default');
  const seen = defaults.map(route).join('; ') || 'no default route';
  if (defaults.some((r) => r.dev && lniIfs.includes(r.dev)))
    return fail(
      seen,
      `default dev ${primaryIf}`,
      `a default route on the LNI sends Region traffic (kubelet, the control plane) to the LAN: remove it (ip route del default dev ${lniIfs[0]}) and stop what added it (a DHCP client on the LNI outside the agent, a network manager)`,
    );
  if (!defaults.some((r) => r.dev === primaryIf))
    return fail(
      seen,
      `default dev ${primaryIf}`,
      `the node reaches the Region through ${primaryIf}; restore its default route (the distro's network configuration)`,
    );
  return pass(seen);
}

/**
 * Pod SNAT as `up` recorded it: the agent's chain holds the wanted rules, nat POSTROUTING jumps to it first (in the
 * iptables flavour holding the CNI's chain), and the `to <LAN> lookup <table>` rules exist. Pure: `steps` is
 * diffSnat(observed, desired, recorded), empty when converged.
 */
export function podSnatCheck(
  steps: readonly SnatStep[],
  observed: SnatFacts,
  ruleCount: number,
  backend: NatBackend,
): CheckOutcome {
  const expected = `${SNAT_CHAIN} (${ruleCount} rule(s)) jumped to first from nat POSTROUTING (${backend}); LAN rules present`;
  if (!steps.length)
    return pass(`${SNAT_CHAIN} with ${ruleCount} rule(s), first in POSTROUTING (${backend})`, expected);
  const table = observed.tables[backend];
  const first = table?.rules.find((r) => r.startsWith('-A POSTROUTING '));
  const problems = [
    !table?.chains.includes(SNAT_CHAIN) ? `no ${SNAT_CHAIN} chain` : undefined,
    first && !first.endsWith(`-j ${SNAT_CHAIN}`)
      ? `first in POSTROUTING: ${first.replace(/^-A POSTROUTING /, '')}`
      : undefined,
    ...steps.filter((s) => s.kind === 'dst-rule-add').map((s) => `missing rule to ${s.to}`),
    ...steps.filter((s) => s.kind === 'dst-rule-del').map((s) => `stale rule to ${s.to}`),
  ].filter((p): p is string => !!p);
  return fail(
    problems.length ? problems.join('; ') : `${SNAT_CHAIN} differs from what up recorded`,
    expected,
    "pods' traffic to the LAN leaves with eth0's address (the VPC CNI's SNAT) and LAN devices cannot answer it; the VPC CNI re-inserts its jump when aws-node restarts: " +
      RERUN,
  );
}
