// The systemd units: valid for systemd (verify), hardened as systemd itself reads them, ordered for start and stop.
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const UNITS = join(import.meta.dirname, '../../systemd');
const EXEC = '/usr/bin/outposts-node-agent';

/** [Section] Key=Value pairs, repeated keys kept in order (systemd's own syntax: no quoting in these files). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section = out.get('') ?? new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      section = out.get(header[1]) ?? new Map();
      out.set(header[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    section.set(key, [
      ...(section.get(key) ?? []),
      ...line
        .slice(eq + 1)
        .split(/\s+/)
        .filter(Boolean),
    ]);
  }
  return out;
}

describe('systemd units', () => {
  let dir: string;
  const unitFiles: string[] = [];
  beforeAll(async () => {
    // verify needs ExecStart to exist: a copy of each unit pointing at a stand-in executable, nothing else changed.
    dir = await mkdtemp(join(tmpdir(), 'ona-units-'));
    const bin = join(dir, 'outposts-node-agent');
    await writeFile(bin, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    for (const f of await readdir(UNITS)) {
      if (!/\.(service|timer)$/.test(f)) continue;
      const text = (await readFile(join(UNITS, f), 'utf8')).replaceAll(EXEC, bin);
      await writeFile(join(dir, f), text);
      unitFiles.push(f);
    }
    await execa('mkdir', ['-p', join(dir, 'outposts-node-agent.service.d')]);
    await copyFile(
      join(UNITS, 'outposts-node-agent.service.d/10-restart.conf'),
      join(dir, 'outposts-node-agent.service.d/10-restart.conf'),
    );
  });
  afterAll(async () => {
    await execa('rm', ['-rf', dir]);
  });

  it('every unit passes systemd-analyze verify', async () => {
    expect(unitFiles.sort()).toEqual([
      'outposts-node-agent-sweep.service',
      'outposts-node-agent-sweep.timer',
      'outposts-node-agent-watch.service',
      'outposts-node-agent.service',
    ]);
    const r = await execa('systemd-analyze', ['verify', '--man=no', ...unitFiles.map((f) => join(dir, f))], {
      reject: false,
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  async function security(unit: string): Promise<Record<string, boolean | null>> {
    const r = await execa(
      'systemd-analyze',
      ['security', '--offline=yes', '--json=short', '--threshold=100', join(dir, unit)],
      { cwd: dir },
    );
    return Object.fromEntries(
      (JSON.parse(r.stdout) as { name: string; set: boolean | null }[]).map((x) => [x.name, x.set]),
    );
  }

  it('hardening as systemd reads it: no new privileges everywhere; watch without admin capabilities; sweep without any capability', async () => {
    const main = await security('outposts-node-agent.service');
    const watch = await security('outposts-node-agent-watch.service');
    const sweep = await security('outposts-node-agent-sweep.service');
    for (const s of [main, watch, sweep]) {
      expect(s['NoNewPrivileges=']).toBe(true);
      expect(s['PrivateTmp=']).toBe(true);
      expect(s['ProtectHome=']).toBe(true);
    }
    expect(watch['CapabilityBoundingSet=~CAP_SYS_ADMIN']).toBe(true);
    expect(sweep['ProtectSystem=']).toBe(true);
    // No capability at all: it writes only its own (root-owned) state and metrics directories, as their owner.
    expect(sweep['CapabilityBoundingSet=~CAP_NET_ADMIN']).toBe(true);
    expect(sweep['CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)']).toBe(true);
  });

  it('up runs once after the network is online and before kubelet; release runs at stop while the network is up', async () => {
    const unit = parseUnit(await readFile(join(UNITS, 'outposts-node-agent.service'), 'utf8'));
    const u = unit.get('Unit');
    const s = unit.get('Service');
    expect(s?.get('Type')).toEqual(['oneshot']);
    expect(s?.get('RemainAfterExit')).toEqual(['yes']);
    // Ordered before kubelet, the unit must not join (bootstrap.sh / nodeadm would wait on kubelet, which waits on us).
    expect(s?.get('ExecStart')).toEqual([EXEC, 'up', '--set', 'join.mode=none']);
    expect(s?.get('ExecStop')?.slice(0, 2)).toEqual([EXEC, 'release']);
    // After network-online at start means the reverse at stop: release runs before the network goes down.
    expect(u?.get('After')).toContain('network-online.target');
    expect(u?.get('Wants')).toContain('network-online.target');
    // Before kubelet at start (the CNI takes the lowest free device index); at stop kubelet is gone first.
    expect(u?.get('Before')).toContain('kubelet.service');
    const dropIn = parseUnit(
      await readFile(join(UNITS, 'outposts-node-agent.service.d/10-restart.conf'), 'utf8'),
    );
    expect(dropIn.get('Service')?.get('RestartPreventExitStatus')).toEqual(['2', '11']);
    const stopBound = Number.parseInt(s?.get('TimeoutStopSec')?.[0] ?? '0', 10);
    expect(stopBound).toBeGreaterThan(60); // release.timeoutSeconds default: release gives up before systemd kills it
  });

  it('watch restarts on failure but not for a bad config; the sweep timer spreads a fleet', async () => {
    const watch = parseUnit(await readFile(join(UNITS, 'outposts-node-agent-watch.service'), 'utf8'));
    expect(watch.get('Service')?.get('Restart')).toEqual(['on-failure']);
    expect(watch.get('Service')?.get('RestartPreventExitStatus')).toContain('2');
    const timer = parseUnit(await readFile(join(UNITS, 'outposts-node-agent-sweep.timer'), 'utf8'));
    expect(timer.get('Timer')?.get('RandomizedDelaySec')).toBeDefined();
  });
});
