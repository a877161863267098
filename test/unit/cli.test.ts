// The executable's surface: help, version, exit codes for usage errors, bad config and unbuilt commands.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/errors.ts';
import { VERSION } from '../../agent/version.ts';

const agent = (...args: string[]) =>
  execa(process.execPath, ['dist/agent.mjs', ...args], {
    reject: false,
    env: { OUTPOSTS_NODE_AGENT__JOIN__MODE: 'none' },
  });

describe('cli', () => {
  it('prints the version and help and exits 0', async () => {
    expect((await agent('--version')).stdout).toBe(VERSION);
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
});
