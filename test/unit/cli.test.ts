// The executable's surface: help, version, exit codes for usage errors, bad config and unbuilt commands.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_DOCS, ExitCode } from '../../agent/errors.ts';
import { VERSION } from '../../agent/version.ts';
import { gitCommit } from '../../scripts/git-commit.mjs';
import { ROOT } from '../packaging/artifacts.ts';

const agent = (...args: string[]) =>
  execa(process.execPath, ['dist/agent.mjs', ...args], {
    reject: false,
    env: { OUTPOSTS_NODE_AGENT__JOIN__MODE: 'none' },
  });

describe('cli', () => {
  it('prints the version and help and exits 0', async () => {
    expect((await agent('--version')).stdout).toBe(`${VERSION} (${gitCommit(ROOT)})`);
    const help = await agent('--help');
    expect(help.exitCode).toBe(0);
    for (const cmd of ['up', 'release', 'sweep', 'watch', 'diagnose', 'status', 'config'])
      expect(help.stdout).toContain(cmd);
  });

  it('exits with the config code and names the key on bad config', async () => {
    const r = await agent('config', '--set', 'lni.deviceIndex=0');
    expect(r.exitCode).toBe(ExitCode.config);
    expect(r.stderr).toContain('lni.deviceIndex');
  });

  it('exits with the usage code on an unknown command', async () => {
    expect((await agent('frobnicate')).exitCode).toBe(ExitCode.config);
  });

  it('prints the effective config as JSON', async () => {
    const r = await agent('config', '--json', '--set', 'lni.mtu=1400');
    expect(JSON.parse(r.stdout).lni.mtu).toBe(1400);
  });

  it('the README’s exit-code table is the one --help and the manual page print', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('## Install on a node'));
    const rows = [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(Object.fromEntries(rows)).toEqual(EXIT_CODE_DOCS);
    const help = await agent('--help');
    for (const [code, doc] of Object.entries(EXIT_CODE_DOCS))
      expect(help.stdout.replace(/\s+/g, ' ')).toContain(`${code} ${doc}`);
  });
});
