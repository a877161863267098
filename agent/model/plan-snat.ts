// Pure decisions for pod traffic to the LAN: the agent's SNAT chain, its jump ahead of the VPC CNI, destination rules.
import { networkOf } from './ipv4.ts';

/** The agent's nat chain; nat POSTROUTING jumps to it first, ahead of the VPC CNI's AWS-SNAT-CHAIN-0. */
export const SNAT_CHAIN = 'OUTPOSTS-LNI-SNAT';
const JUMP_COMMENT = 'outposts-node-agent: pods to the LAN by the LNI';
const RULE_COMMENT = 'outposts-node-agent: SNAT to the LNI address';

/** iptables flavour: the kernel's nf_tables (iptables-nft) or the legacy x_tables (iptables-legacy). */
export type NatBackend = 'nf_tables' | 'legacy';

export interface SnatPlanInput {
  enabled: boolean;
  /** The interface that carries the LNI address (the LNI or its VLAN sub-interface). */
  ifname: string;
  /** The LNI's LAN address: the source pod traffic to the LAN gets. */
  address: string;
  sources: string[];
  destinations: string[];
  /** The agent's LNI routing table. */
  table: number;
  /** Priority of the `to <destination> lookup <table>` rules; 0: none. */
  rulePriority: number;
}

export interface DstRule {
  to: string;
  table: number;
  priority: number;
}

export interface DesiredSnat {
  /** `-A` lines of the agent's chain exactly as iptables-save prints them; undefined: no chain wanted. */
  chainRules?: string[];
  /** The jump from nat POSTROUTING (the spec after `-A POSTROUTING `). */
  jump: string;
  dstRules: DstRule[];
}

/** The nat table of one iptables flavour, as iptables-save shows it (undefined: that flavour is not there). */
export interface NatTableFacts {
  chains: string[];
  /** Every `-A CHAIN ...` line, in order. */
  rules: string[];
}

export interface SnatFacts {
  /** The flavour the `iptables` command uses on this host. */
  defaultBackend: NatBackend;
  tables: Partial<Record<NatBackend, NatTableFacts>>;
  /** IPv4 policy rules (all of them). */
  rules: { priority: number; to?: string; from?: string; table: string }[];
}

export type SnatStep =
  | { kind: 'nat-restore'; backend: NatBackend; payload: string; summary: string }
  | { kind: 'dst-rule-add'; to: string; table: number; priority: number }
  | { kind: 'dst-rule-del'; to: string; table: string; priority: number };

/** One line for a step: the iptables flavour and what its restore does, or the rule's destination. */
export function describeSnatStep(s: SnatStep): string {
  return s.kind === 'nat-restore' ? `${s.kind} ${s.backend}: ${s.summary}` : `${s.kind} ${s.to}`;
}

/** What the state file records, so release removes exactly that. */
export interface SnatRecord {
  backend: NatBackend;
  chain: string;
  dstRules: DstRule[];
  /** What the chain SNATs (pod sources to LAN destinations), so `watch` can repair it without IMDS. */
  sources?: string[];
  destinations?: string[];
}

/** Defaults: destinations are the LNI's LAN plus the configured on-prem CIDRs (duplicates dropped). */
export function snatDestinations(address: string, prefixLength: number, onPrem: string[]): string[] {
  return [...new Set([`${networkOf(address, prefixLength)}/${prefixLength}`, ...onPrem])];
}

export function desiredSnat(input: SnatPlanInput): DesiredSnat {
  const chainRules = input.enabled
    ? input.sources.flatMap((s) =>
        input.destinations.map(
          (d) =>
            `-A ${SNAT_CHAIN} -s ${s} -d ${d} -o ${input.ifname} -m comment --comment "${RULE_COMMENT}" -j SNAT --to-source ${input.address}`,
        ),
      )
    : undefined;
  const dstRules =
    input.rulePriority > 0
      ? input.destinations.map((to) => ({ to, table: input.table, priority: input.rulePriority }))
      : [];
  return { chainRules, jump: `-m comment --comment "${JUMP_COMMENT}" -j ${SNAT_CHAIN}`, dstRules };
}

/**
 * The flavour whose nat table the CNI uses: the one holding AWS-SNAT-CHAIN-0 (NAT bindings from two flavours
 * at the same hook race, so "first in POSTROUTING" only means something in the CNI's own table), else ours if
 * it already exists somewhere, else the host's default.
 */
export function pickBackend(facts: SnatFacts): NatBackend {
  const holding = (chain: string) =>
    (['nf_tables', 'legacy'] as const).find((b) => facts.tables[b]?.chains.includes(chain));
  return holding('AWS-SNAT-CHAIN-0') ?? holding(SNAT_CHAIN) ?? facts.defaultBackend;
}

const isJump = (line: string) => line.startsWith('-A POSTROUTING ') && line.endsWith(` -j ${SNAT_CHAIN}`);

/** An iptables-restore --noflush payload that removes the chain and every jump to it, or undefined. */
function removal(table: NatTableFacts | undefined): string | undefined {
  if (!table) return undefined;
  const jumps = table.rules.filter(isJump);
  const exists = table.chains.includes(SNAT_CHAIN);
  if (!jumps.length && !exists) return undefined;
  const lines = jumps.map((j) => j.replace(/^-A /, '-D '));
  // Declaring a chain under --noflush flushes it; an empty chain can then be deleted.
  if (exists) lines.push(`:${SNAT_CHAIN} - [0:0]`, `-X ${SNAT_CHAIN}`);
  return ['*nat', ...lines, 'COMMIT', ''].join('\n');
}

function ensure(table: NatTableFacts | undefined, chainRules: string[], jump: string): string | undefined {
  const lines: string[] = [];
  const ours = (table?.rules ?? []).filter((r) => r.startsWith(`-A ${SNAT_CHAIN} `));
  const chainOk =
    !!table?.chains.includes(SNAT_CHAIN) &&
    ours.length === chainRules.length &&
    ours.every((r, i) => r === chainRules[i]);
  if (!chainOk) lines.push(`:${SNAT_CHAIN} - [0:0]`, ...chainRules);
  const post = (table?.rules ?? []).filter((r) => r.startsWith('-A POSTROUTING '));
  const want = `-A POSTROUTING ${jump}`;
  const jumps = post.filter(isJump);
  if (!(post[0] === want && jumps.length === 1))
    lines.push(...jumps.map((j) => j.replace(/^-A /, '-D ')), `-I POSTROUTING 1 ${jump}`);
  return lines.length ? ['*nat', ...lines, 'COMMIT', ''].join('\n') : undefined;
}

const summaryOf = (payload: string) =>
  payload
    .split('\n')
    .filter((l) => /^(-[ADIX]|:)/.test(l))
    .map((l) => l.split(' ').slice(0, 3).join(' '))
    .join('; ');

/**
 * Steps from `observed` to `desired`: at most one iptables-restore per flavour (the chain replaced atomically,
 * the jump moved to position 1) and the destination rules. `recorded` is what the last run created, so rules
 * it put at a priority no longer wanted are removed. `[]` means converged.
 */
export function diffSnat(observed: SnatFacts, desired: DesiredSnat, recorded?: SnatRecord): SnatStep[] {
  const steps: SnatStep[] = [];
  const backend = pickBackend(observed);
  for (const b of ['nf_tables', 'legacy'] as const) {
    const payload =
      b === backend && desired.chainRules
        ? ensure(observed.tables[b], desired.chainRules, desired.jump)
        : removal(observed.tables[b]);
    if (payload) steps.push({ kind: 'nat-restore', backend: b, payload, summary: summaryOf(payload) });
  }
  const want = desired.dstRules;
  const same = (r: SnatFacts['rules'][number], w: DstRule) =>
    r.priority === w.priority && r.to === w.to && r.table === String(w.table) && !r.from;
  const ours = (r: SnatFacts['rules'][number]) =>
    want.some((w) => w.priority === r.priority && String(w.table) === r.table) ||
    (recorded?.dstRules ?? []).some((x) => same(r, x));
  for (const r of observed.rules)
    if (r.to && !r.from && ours(r) && !want.some((w) => same(r, w)))
      steps.push({ kind: 'dst-rule-del', to: r.to, table: r.table, priority: r.priority });
  for (const w of want)
    if (!observed.rules.some((r) => same(r, w))) steps.push({ kind: 'dst-rule-add', ...w });
  return steps;
}

/** Steps that remove what `recorded` says the agent created (release); what is already gone is skipped. */
export function undoSnat(observed: SnatFacts, recorded: SnatRecord): SnatStep[] {
  const steps: SnatStep[] = [];
  for (const b of ['nf_tables', 'legacy'] as const) {
    const payload = removal(observed.tables[b]);
    if (payload) steps.push({ kind: 'nat-restore', backend: b, payload, summary: summaryOf(payload) });
  }
  for (const w of recorded.dstRules)
    if (observed.rules.some((r) => r.priority === w.priority && r.to === w.to && r.table === String(w.table)))
      steps.push({ kind: 'dst-rule-del', to: w.to, table: String(w.table), priority: w.priority });
  return steps;
}

/** Parses `iptables-save -t nat` output: chain names and `-A` lines (counters and comments dropped). */
export function parseNatSave(text: string): NatTableFacts | undefined {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const start = lines.indexOf('*nat');
  if (start < 0) return undefined;
  const chains: string[] = [];
  const rules: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === 'COMMIT') break;
    if (line.startsWith(':')) chains.push(line.slice(1).split(' ')[0] ?? '');
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { chains, rules };
}
