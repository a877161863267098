// rpmlint 2 (Debian's) on both RPMs: clean with packaging/rpmlint.toml, whose every filter hides a finding that is
// really there (the negative control: the same RPMs without the filters).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../agent/version.ts';
import { DIST, ensurePackaged, PACKAGE_TIMEOUT_MS, ROOT } from './artifacts.ts';

const RPMS = ['x86_64', 'aarch64'].map((a) => join(DIST, `outposts-node-agent-${VERSION}-1.${a}.rpm`));
const CONFIG = join(ROOT, 'packaging/rpmlint.toml');

/** The `pkg.arch: E|W: id args` lines of an rpmlint run. */
const findings = (out: string) => out.split('\n').filter((l) => /^outposts-node-agent\.\w+: [EW]: /.test(l));

describe('rpmlint', () => {
  let filtered: { exitCode?: number; stdout: string };
  let unfiltered: string[];
  let filters: string[];

  beforeAll(async () => {
    await ensurePackaged();
    filtered = await execa('rpmlint', ['-c', CONFIG, ...RPMS], { reject: false, env: { LC_ALL: 'C.UTF-8' } });
    // Without the repo's config rpmlint's defaults apply (bzip2 man pages, its license list): the filters'
    // findings and those two show.
    const raw = await execa('rpmlint', RPMS, { reject: false, env: { LC_ALL: 'C.UTF-8' } });
    unfiltered = findings(raw.stdout);
    // The Filters array of the TOML: one quoted string per line.
    const toml = await readFile(CONFIG, 'utf8');
    filters = [...toml.matchAll(/^\s*'([^']+)',\s*$/gm)].map((m) => m[1] ?? '');
  }, PACKAGE_TIMEOUT_MS);

  it('is clean on both architectures with packaging/rpmlint.toml: 0 errors, 0 warnings', () => {
    console.log(filtered.stdout.trim().split('\n').at(-1));
    expect(findings(filtered.stdout)).toEqual([]);
    expect(filtered.stdout).toMatch(/2 packages and 0 specfiles checked; 0 errors, 0 warnings/);
    expect(filtered.exitCode).toBe(0);
  });

  it('negative control: without it the filtered findings are there, each filter hides a real one, nothing else', () => {
    expect(filters.length).toBeGreaterThanOrEqual(7);
    for (const f of filters)
      expect(
        unfiltered.some((l) => l.includes(f)),
        f,
      ).toBe(true);
    const explained = (l: string) =>
      filters.some((f) => l.includes(f)) ||
      / W: invalid-license Apache-2\.0$/.test(l) ||
      / W: manpage-not-compressed bz2 /.test(l);
    expect(unfiltered.filter((l) => !explained(l))).toEqual([]);
    expect(unfiltered.some((l) => l.includes(' E: no-signature'))).toBe(true);
  });
});
