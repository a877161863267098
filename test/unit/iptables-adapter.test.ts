// The iptables adapter against a scripted Runner: which tools it calls per flavour, and what it sends them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IptablesSnat } from '../../agent/adapters/iptables.ts';
import type { Runner, RunResult } from '../../agent/ports/runner.ts';

const NAT =
  '*nat\n:POSTROUTING ACCEPT [0:0]\n:AWS-SNAT-CHAIN-0 - [0:0]\n-A POSTROUTING -j AWS-SNAT-CHAIN-0\nCOMMIT\n';
const RULES = JSON.stringify([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 1530, src: 'all', dst: '192.0.2.0', dstlen: 24, table: '200' },
  { priority: 2000, src: '192.0.2.11', table: '200' },
]);

/** A Runner that answers by program name (missing: ENOENT-like failure) and records every call. */
function scripted(
  answers: Record<string, string>,
): Runner & { calls: { file: string; args: string[]; input?: string }[] } {
  const calls: { file: string; args: string[]; input?: string }[] = [];
  return {
    calls,
    spawns: 0,
    installed: async (program) => program in answers,
    async run(file, args, opts): Promise<RunResult> {
      calls.push({ file, args, input: opts?.input });
      const out = answers[file];
      return out === undefined
        ? { exitCode: 1, stdout: '', stderr: `spawn ${file} ENOENT` }
        : { exitCode: 0, stdout: out, stderr: '' };
    },
  };
}

function tablesFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ona-iptables-')), 'ip_tables_names');
  writeFileSync(path, content);
  return path;
}

describe('IptablesSnat', () => {
  it('reads nft and (only when the kernel has it loaded) legacy nat tables, and the rules with prefixes', async () => {
    const runner = scripted({
      iptables: 'iptables v1.8.9 (nf_tables)',
      'iptables-nft-save': NAT,
      'iptables-legacy-save': NAT,
      ip: RULES,
    });
    const facts = await new IptablesSnat(runner, tablesFile('filter\n')).observe();
    expect(facts.defaultBackend).toBe('nf_tables');
    expect(Object.keys(facts.tables)).toEqual(['nf_tables']);
    expect(runner.calls.map((c) => c.file)).not.toContain('iptables-legacy-save');
    expect(facts.rules).toEqual([
      { priority: 0, from: undefined, to: undefined, table: 'local' },
      { priority: 1530, from: undefined, to: '192.0.2.0/24', table: '200' },
      { priority: 2000, from: '192.0.2.11/32', to: undefined, table: '200' },
    ]);
    const both = await new IptablesSnat(runner, tablesFile('filter\nnat\n')).observe();
    expect(Object.keys(both.tables).sort()).toEqual(['legacy', 'nf_tables']);
  });

  it('falls back to the plain tools for the default flavour when the suffixed ones are missing (older AL2)', async () => {
    const runner = scripted({
      iptables: 'iptables v1.8.4 (legacy)',
      'iptables-save': NAT,
      'iptables-restore': '',
      ip: '[]',
    });
    const adapter = new IptablesSnat(runner, tablesFile(''));
    const facts = await adapter.observe();
    expect(facts.defaultBackend).toBe('legacy');
    expect(facts.tables.legacy?.chains).toContain('AWS-SNAT-CHAIN-0');
    await adapter.apply([{ kind: 'nat-restore', backend: 'legacy', payload: '*nat\nCOMMIT\n', summary: '' }]);
    expect(runner.calls.at(-1)).toEqual({
      file: 'iptables-restore',
      args: ['--noflush', '--wait=5'],
      input: '*nat\nCOMMIT\n',
    });
  });

  it('applies nat payloads one restore each and every rule change in one ip -batch; a failed restore throws', async () => {
    const runner = scripted({ 'iptables-nft-restore': '', ip: '' });
    const adapter = new IptablesSnat(runner, tablesFile(''));
    await adapter.apply([
      { kind: 'nat-restore', backend: 'nf_tables', payload: 'P', summary: 's' },
      { kind: 'dst-rule-del', to: '192.0.2.0/24', table: '200', priority: 1530 },
      { kind: 'dst-rule-add', to: '192.0.2.0/24', table: 200, priority: 1500 },
    ]);
    expect(runner.calls).toEqual([
      { file: 'iptables-nft-restore', args: ['--noflush', '--wait=5'], input: 'P' },
      {
        file: 'ip',
        args: ['-batch', '-'],
        input:
          'rule del to 192.0.2.0/24 lookup 200 priority 1530\nrule add to 192.0.2.0/24 lookup 200 priority 1500\n',
      },
    ]);
    await expect(
      adapter.apply([{ kind: 'nat-restore', backend: 'legacy', payload: 'P', summary: 'jump' }]),
    ).rejects.toThrow(/iptables-legacy-restore failed \(jump\)/);
  });
});
