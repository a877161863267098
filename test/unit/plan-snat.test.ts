// The pure SNAT planner: chain rules as iptables-save prints them, the jump kept first, flavour choice, rules, undo.
import { describe, expect, it } from 'vitest';
import {
  desiredSnat,
  diffSnat,
  type NatTableFacts,
  parseNatSave,
  pickBackend,
  type SnatFacts,
  type SnatPlanInput,
  undoSnat,
} from '../../agent/model/plan-snat.ts';

const INPUT: SnatPlanInput = {
  enabled: true,
  ifname: 'lni0',
  address: '192.0.2.11',
  sources: ['10.20.0.0/16'],
  destinations: ['192.0.2.0/24', '198.51.100.0/24'],
  table: 200,
  rulePriority: 1530,
};
const desired = desiredSnat(INPUT);
const CNI_JUMP = '-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0';
const OUR_JUMP = `-A POSTROUTING ${desired.jump}`;
const cni: NatTableFacts = { chains: ['POSTROUTING', 'AWS-SNAT-CHAIN-0'], rules: [CNI_JUMP] };
const converged: NatTableFacts = {
  chains: [...cni.chains, 'OUTPOSTS-LNI-SNAT'],
  rules: [OUR_JUMP, CNI_JUMP, ...(desired.chainRules ?? [])],
};
const ourRules = desired.dstRules.map((r) => ({ priority: r.priority, to: r.to, table: String(r.table) }));
const facts = (tables: SnatFacts['tables'], rules: SnatFacts['rules'] = ourRules): SnatFacts => ({
  defaultBackend: 'nf_tables',
  tables,
  rules,
});
const payloads = (steps: ReturnType<typeof diffSnat>) =>
  steps.flatMap((s) => (s.kind === 'nat-restore' ? [`${s.backend}\n${s.payload}`] : []));

describe('plan-snat', () => {
  it('writes one SNAT rule per source and destination, in the form iptables-save prints', () => {
    expect(desired.chainRules).toEqual([
      '-A OUTPOSTS-LNI-SNAT -s 10.20.0.0/16 -d 192.0.2.0/24 -o lni0 -m comment --comment "outposts-node-agent: SNAT to the LNI address" -j SNAT --to-source 192.0.2.11',
      '-A OUTPOSTS-LNI-SNAT -s 10.20.0.0/16 -d 198.51.100.0/24 -o lni0 -m comment --comment "outposts-node-agent: SNAT to the LNI address" -j SNAT --to-source 192.0.2.11',
    ]);
    expect(desired.dstRules).toEqual([
      { to: '192.0.2.0/24', table: 200, priority: 1530 },
      { to: '198.51.100.0/24', table: 200, priority: 1530 },
    ]);
  });

  it('creates the chain and inserts the jump at position 1 ahead of the CNI, in one restore', () => {
    const steps = diffSnat(facts({ nf_tables: cni }, []), desired);
    expect(payloads(steps)).toEqual([
      [
        'nf_tables',
        '*nat',
        ':OUTPOSTS-LNI-SNAT - [0:0]',
        ...(desired.chainRules ?? []),
        `-I POSTROUTING 1 ${desired.jump}`,
        'COMMIT',
        '',
      ].join('\n'),
    ]);
    expect(steps.filter((s) => s.kind === 'dst-rule-add')).toHaveLength(2);
  });

  it('is converged when chain, first-place jump and rules are there', () => {
    expect(diffSnat(facts({ nf_tables: converged }), desired)).toEqual([]);
  });

  it('moves its jump back to first place, deleting every copy, without touching a correct chain', () => {
    const behind = { ...converged, rules: [CNI_JUMP, OUR_JUMP, OUR_JUMP, ...(desired.chainRules ?? [])] };
    expect(payloads(diffSnat(facts({ nf_tables: behind }), desired))).toEqual([
      [
        'nf_tables',
        '*nat',
        `-D POSTROUTING ${desired.jump}`,
        `-D POSTROUTING ${desired.jump}`,
        `-I POSTROUTING 1 ${desired.jump}`,
        'COMMIT',
        '',
      ].join('\n'),
    ]);
  });

  it('replaces the chain content atomically when the LNI address changed (DHCP)', () => {
    const moved = desiredSnat({ ...INPUT, address: '192.0.2.12' });
    const [payload] = payloads(diffSnat(facts({ nf_tables: converged }), moved));
    expect(payload).toContain(':OUTPOSTS-LNI-SNAT - [0:0]');
    expect(payload).toContain('--to-source 192.0.2.12');
    expect(payload).not.toContain('POSTROUTING');
  });

  it('removes chain and jump when disabled, and keeps the rules it is still asked for', () => {
    const off = desiredSnat({ ...INPUT, enabled: false });
    expect(payloads(diffSnat(facts({ nf_tables: converged }), off))).toEqual([
      [
        'nf_tables',
        '*nat',
        `-D POSTROUTING ${desired.jump}`,
        ':OUTPOSTS-LNI-SNAT - [0:0]',
        '-X OUTPOSTS-LNI-SNAT',
        'COMMIT',
        '',
      ].join('\n'),
    ]);
    expect(diffSnat(facts({ nf_tables: converged }), off).filter((s) => s.kind !== 'nat-restore')).toEqual(
      [],
    );
  });

  it('goes where the CNI is: its chain in iptables-legacy wins over the nft default, and a stale copy in nft is removed', () => {
    const oursOnly = {
      chains: ['POSTROUTING', 'OUTPOSTS-LNI-SNAT'],
      rules: [OUR_JUMP, ...(desired.chainRules ?? [])],
    };
    const legacyFacts = facts({ nf_tables: oursOnly, legacy: cni });
    expect(pickBackend(legacyFacts)).toBe('legacy');
    const steps = payloads(diffSnat(legacyFacts, desired));
    expect(steps.map((p) => p.split('\n')[0])).toEqual(['nf_tables', 'legacy']);
    expect(steps[0]).toContain('-X OUTPOSTS-LNI-SNAT');
    expect(steps[1]).toContain(`-I POSTROUTING 1 ${desired.jump}`);
    expect(pickBackend(facts({}))).toBe('nf_tables');
    expect(pickBackend(facts({ legacy: oursOnly }))).toBe('legacy');
  });

  it('moves the destination rules when the priority changes, removes them at 0, and leaves foreign rules alone', () => {
    const recorded = {
      backend: 'nf_tables' as const,
      chain: 'OUTPOSTS-LNI-SNAT',
      dstRules: desired.dstRules,
    };
    const foreign = { priority: 1530, to: '203.0.113.0/24', table: '7' };
    const moved = desiredSnat({ ...INPUT, rulePriority: 1500 });
    const steps = diffSnat(facts({ nf_tables: converged }, [...ourRules, foreign]), moved, recorded);
    expect(steps).toEqual([
      { kind: 'dst-rule-del', to: '192.0.2.0/24', table: '200', priority: 1530 },
      { kind: 'dst-rule-del', to: '198.51.100.0/24', table: '200', priority: 1530 },
      { kind: 'dst-rule-add', to: '192.0.2.0/24', table: 200, priority: 1500 },
      { kind: 'dst-rule-add', to: '198.51.100.0/24', table: 200, priority: 1500 },
    ]);
    const none = desiredSnat({ ...INPUT, rulePriority: 0 });
    expect(diffSnat(facts({ nf_tables: converged }, [...ourRules, foreign]), none, recorded)).toHaveLength(2);
  });

  it('undoes what was recorded and what is live; already gone is nothing to do', () => {
    const recorded = {
      backend: 'nf_tables' as const,
      chain: 'OUTPOSTS-LNI-SNAT',
      dstRules: desired.dstRules,
    };
    expect(undoSnat(facts({ nf_tables: converged }), recorded).map((s) => s.kind)).toEqual([
      'nat-restore',
      'dst-rule-del',
      'dst-rule-del',
    ]);
    expect(undoSnat(facts({ nf_tables: cni }, []), recorded)).toEqual([]);
  });

  it('parses iptables-save output of the nat table', () => {
    const text = [
      '# Generated by iptables-nft-save v1.8.9 (nf_tables)',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':AWS-SNAT-CHAIN-0 - [0:0]',
      CNI_JUMP,
      'COMMIT',
      '# Completed',
    ].join('\n');
    expect(parseNatSave(text)).toEqual({
      chains: ['PREROUTING', 'POSTROUTING', 'AWS-SNAT-CHAIN-0'],
      rules: [CNI_JUMP],
    });
    expect(parseNatSave('')).toBeUndefined();
  });
});
