// SNAT port on iptables: iptables-save to look, one iptables-restore --noflush per change, rules via `ip -batch`.
import { readFile } from 'node:fs/promises';
import { HostNetworkError } from '../errors.ts';
import {
  type NatBackend,
  type NatTableFacts,
  parseNatSave,
  type SnatFacts,
  type SnatStep,
} from '../model/plan-snat.ts';
import type { Runner } from '../ports/runner.ts';
import type { SnatHost } from '../ports/snat.ts';
import type { IpRule } from './host-net-ip.ts';

const SUFFIX: Record<NatBackend, string> = { nf_tables: 'nft', legacy: 'legacy' };

const cidrOf = (addr: string | undefined, len: number | undefined) =>
  !addr || addr === 'all' ? undefined : `${addr}/${len ?? 32}`;

export class IptablesSnat implements SnatHost {
  /** Tool names per flavour: `iptables-nft-save` where the suffixed tools exist, else the plain ones. */
  readonly #tools = new Map<NatBackend, string>();
  /** `iptables -V`: which flavour the plain command is does not change while the agent runs (watch looks often). */
  #version?: Promise<{ exitCode: number; stdout: string }>;

  constructor(
    private readonly runner: Runner,
    /** Lists the legacy tables the kernel has loaded (reading it loads no module, unlike iptables-legacy-save). */
    private readonly legacyTablesFile = '/proc/net/ip_tables_names',
  ) {}

  async observe(): Promise<SnatFacts> {
    this.#version ??= this.runner.run('iptables', ['-V']);
    const [version, nft, legacy, rules] = await Promise.all([
      this.#version,
      this.#save('nf_tables'),
      this.#legacyLoaded().then((loaded) => (loaded ? this.#save('legacy') : undefined)),
      this.runner.run('ip', ['-json', '-4', 'rule', 'show']),
    ]);
    // No iptables at all (a minimal image) is not an error here: with nothing to remove and no chain wanted
    // there are no nat steps, and a wanted chain fails in apply with the restore tool's own message.
    if (rules.exitCode !== 0) throw new HostNetworkError(`ip rule show failed: ${rules.stderr}`);
    const defaultBackend: NatBackend =
      version.exitCode !== 0 || /nf_tables/.test(version.stdout) ? 'nf_tables' : 'legacy';
    const tables: SnatFacts['tables'] = {};
    if (nft) tables.nf_tables = nft;
    if (legacy) tables.legacy = legacy;
    // Hosts without the suffixed tools (older AL2 builds) only have the plain ones, for the default flavour.
    if (version.exitCode === 0 && !tables[defaultBackend] && !this.#tools.has(defaultBackend)) {
      const plain = await this.runner.run('iptables-save', ['-t', 'nat']);
      if (plain.exitCode === 0) {
        this.#tools.set(defaultBackend, 'iptables');
        const parsed = parseNatSave(plain.stdout);
        if (parsed) tables[defaultBackend] = parsed;
      }
    }
    return {
      defaultBackend,
      tables,
      rules: (JSON.parse(rules.stdout || '[]') as IpRule[]).map((r) => ({
        priority: r.priority,
        from: cidrOf(r.src, r.srclen),
        to: cidrOf(r.dst, r.dstlen),
        table: r.table ?? '',
      })),
    };
  }

  async apply(steps: SnatStep[]): Promise<void> {
    for (const s of steps) {
      if (s.kind !== 'nat-restore') continue;
      const tool = `${this.#tools.get(s.backend) ?? `iptables-${SUFFIX[s.backend]}`}-restore`;
      const r = await this.runner.run(tool, ['--noflush', '--wait=5'], { input: s.payload });
      if (r.exitCode !== 0)
        throw new HostNetworkError(`${tool} failed (${s.summary}): ${r.stderr || r.stdout}`, {
          payload: s.payload,
        });
    }
    const lines = steps.flatMap((s) =>
      s.kind === 'dst-rule-add' || s.kind === 'dst-rule-del'
        ? [
            `rule ${s.kind === 'dst-rule-add' ? 'add' : 'del'} to ${s.to} lookup ${s.table} priority ${s.priority}`,
          ]
        : [],
    );
    if (!lines.length) return;
    const r = await this.runner.run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
    if (r.exitCode !== 0) throw new HostNetworkError(`ip -batch failed: ${r.stderr}`, { lines });
  }

  async #save(backend: NatBackend): Promise<NatTableFacts | undefined> {
    const r = await this.runner.run(`iptables-${SUFFIX[backend]}-save`, ['-t', 'nat']);
    if (r.exitCode !== 0) return undefined;
    this.#tools.set(backend, `iptables-${SUFFIX[backend]}`);
    return parseNatSave(r.stdout);
  }

  async #legacyLoaded(): Promise<boolean> {
    try {
      return (await readFile(this.legacyTablesFile, 'utf8')).split('\n').includes('nat');
    } catch {
      return false;
    }
  }
}
