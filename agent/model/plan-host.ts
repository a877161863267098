// Pure decisions for the host side: the desired LNI configuration and the steps from what is observed to it.
import { networkOf } from './ipv4.ts';
import type { DesiredHost, HostFacts, HostStep, LanAddress } from './types.ts';

export interface HostPlanInput {
  lniName: string;
  mtu: number;
  vlanId?: number;
  address: LanAddress;
  table: number;
  rulePriority: number;
  onPrem: string[];
  sysctls: { arpIgnore: number; arpAnnounce: number; rpFilter: number };
}

/** VLAN sub-interface name: `<parent>.<id>` when it fits the kernel's 15 characters, else `lni.<id>`. */
export function vlanName(parent: string, id: number): string {
  const name = `${parent}.${id}`;
  return name.length <= 15 ? name : `lni.${id}`;
}

export function sysctlKeysFor(ifname: string): { arpIgnore: string; arpAnnounce: string; rpFilter: string } {
  const base = `net/ipv4/conf/${ifname}`;
  return {
    arpIgnore: `${base}/arp_ignore`,
    arpAnnounce: `${base}/arp_announce`,
    rpFilter: `${base}/rp_filter`,
  };
}

export function desiredHost(input: HostPlanInput): DesiredHost {
  const vlan = input.vlanId ? { id: input.vlanId, name: vlanName(input.lniName, input.vlanId) } : undefined;
  const ifname = vlan?.name ?? input.lniName;
  const sysctls: Record<string, string> = {};
  for (const name of vlan ? [input.lniName, ifname] : [ifname]) {
    const keys = sysctlKeysFor(name);
    sysctls[keys.arpIgnore] = String(input.sysctls.arpIgnore);
    sysctls[keys.arpAnnounce] = String(input.sysctls.arpAnnounce);
    sysctls[keys.rpFilter] = String(input.sysctls.rpFilter);
  }
  return {
    ifname,
    lniName: input.lniName,
    mtu: input.mtu,
    vlan,
    address: input.address,
    table: input.table,
    rulePriority: input.rulePriority,
    onPrem: [...input.onPrem],
    sysctls,
  };
}

/** Routes the LNI table must hold: the LAN's connected route and, with a gateway, a default via it. */
export function tableRoutes(d: DesiredHost): { dst: string; gateway?: string; src?: string }[] {
  const { address, prefixLength, gateway } = d.address;
  const lan = `${networkOf(address, prefixLength)}/${prefixLength}`;
  return [{ dst: lan, src: address }, ...(gateway ? [{ dst: 'default', gateway }] : [])];
}

function sameDst(a: string, b: string): boolean {
  const norm = (s: string) => (s.endsWith('/32') ? s.slice(0, -3) : s);
  return norm(a) === norm(b);
}

/**
 * Steps from `observed` to `desired`, in a safe order: sysctls before the link comes up (so the LNI never
 * answers ARP for eth0's address), then link, addresses, routes and the policy rule. `[]` means converged.
 */
export function diffHost(observed: HostFacts, d: DesiredHost): HostStep[] {
  const steps: HostStep[] = [];
  // A VLAN's sysctls exist only once its link does: the parent's first, then the VLAN link, then its sysctls.
  const onVlan = (key: string) => Boolean(d.vlan && key.includes(`/${d.vlan.name}/`));
  const sysctlSteps = (vlan: boolean) =>
    Object.entries(d.sysctls)
      .filter(([key, value]) => onVlan(key) === vlan && observed.sysctls[key] !== value)
      .map(([key, value]): HostStep => ({ kind: 'sysctl', key, value }));
  steps.push(...sysctlSteps(false));

  const lni = observed.links.find((l) => l.name === d.lniName);
  if (d.vlan && !observed.links.some((l) => l.name === d.vlan?.name))
    steps.push({ kind: 'vlan-add', parent: d.lniName, ifname: d.vlan.name, id: d.vlan.id });
  steps.push(...sysctlSteps(true));
  for (const name of d.vlan ? [d.lniName, d.vlan.name] : [d.lniName]) {
    const link = name === d.lniName ? lni : observed.links.find((l) => l.name === name);
    if (link?.mtu !== d.mtu) steps.push({ kind: 'link-mtu', ifname: name, mtu: d.mtu });
    if (!link?.up) steps.push({ kind: 'link-up', ifname: name });
  }

  const want = `${d.address.address}/${d.address.prefixLength}`;
  const onIf = observed.addresses.filter((a) => a.ifname === d.ifname || a.ifname === d.lniName);
  // A network manager's lease is its to place and take away; the agent only follows it.
  if (!d.address.managedBy) {
    for (const a of onIf) {
      const cidr = `${a.address}/${a.prefixLength}`;
      if (cidr !== want || a.ifname !== d.ifname) steps.push({ kind: 'addr-del', ifname: a.ifname, cidr });
    }
    if (!onIf.some((a) => a.ifname === d.ifname && `${a.address}/${a.prefixLength}` === want))
      steps.push({ kind: 'addr-add', ifname: d.ifname, cidr: want });
  }

  const table = String(d.table);
  const inTable = observed.routes.filter((r) => r.table === table);
  const wanted = tableRoutes(d);
  for (const r of inTable)
    if (
      !wanted.some(
        (w) => sameDst(w.dst, r.dst) && r.dev === d.ifname && (w.gateway ?? '') === (r.gateway ?? ''),
      )
    )
      steps.push({ kind: 'route-del', dst: r.dst, table: d.table, ifname: r.dev, gateway: r.gateway });
  for (const w of wanted)
    if (
      !inTable.some(
        (r) =>
          sameDst(w.dst, r.dst) &&
          r.dev === d.ifname &&
          (w.gateway ?? '') === (r.gateway ?? '') &&
          (!w.src || r.src === w.src),
      )
    )
      steps.push({
        kind: 'route-replace',
        dst: w.dst,
        ifname: d.ifname,
        table: d.table,
        gateway: w.gateway,
        src: w.src,
      });

  const gateway = d.address.gateway;
  for (const cidr of d.onPrem) {
    const ok = observed.routes.some(
      (r) => r.table === 'main' && sameDst(r.dst, cidr) && r.dev === d.ifname && r.gateway === gateway,
    );
    if (!ok && gateway)
      steps.push({ kind: 'route-replace', dst: cidr, ifname: d.ifname, table: 'main', gateway });
  }

  const ours = observed.rules.filter((r) => r.priority === d.rulePriority);
  const ruleOk = (r: (typeof ours)[number]) =>
    r.table === table && sameDst(r.from ?? '', d.address.address) && !r.to;
  for (const r of ours)
    if (!ruleOk(r)) steps.push({ kind: 'rule-del', from: r.from, table: r.table, priority: r.priority });
  if (!ours.some(ruleOk))
    steps.push({ kind: 'rule-add', from: d.address.address, table: d.table, priority: d.rulePriority });
  return steps;
}

/** Steps that remove what `desired` put in place (release): rule, routes, address; sysctls restored. */
export function undoHost(
  observed: HostFacts,
  d: DesiredHost,
  sysctlsBefore: Record<string, string>,
): HostStep[] {
  const steps: HostStep[] = [];
  for (const r of observed.rules.filter((x) => x.priority === d.rulePriority && x.table === String(d.table)))
    steps.push({ kind: 'rule-del', from: r.from, table: r.table, priority: r.priority });
  for (const cidr of d.onPrem)
    if (observed.routes.some((r) => r.table === 'main' && sameDst(r.dst, cidr) && r.dev === d.ifname))
      steps.push({ kind: 'route-del', dst: cidr, table: 'main', ifname: d.ifname });
  for (const r of observed.routes.filter((x) => x.table === String(d.table)))
    steps.push({ kind: 'route-del', dst: r.dst, table: d.table, ifname: r.dev, gateway: r.gateway });
  const want = `${d.address.address}/${d.address.prefixLength}`;
  if (
    !d.address.managedBy &&
    observed.addresses.some((a) => a.ifname === d.ifname && `${a.address}/${a.prefixLength}` === want)
  )
    steps.push({ kind: 'addr-del', ifname: d.ifname, cidr: want });
  for (const [key, value] of Object.entries(sysctlsBefore))
    if (observed.sysctls[key] !== undefined && observed.sysctls[key] !== value)
      steps.push({ kind: 'sysctl', key, value });
  return steps;
}
