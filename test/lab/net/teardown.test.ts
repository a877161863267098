// Proves teardown is complete: destroy(), the signal hook, and cleanupLeftovers() after the owner was SIGKILLed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { labNodeSpecs } from './fixtures.ts';
import { listNamespaces } from './ip.ts';
import { LAB_ADDRS, LabNetwork } from './lab-network.ts';
import { cleanupLeftovers, LEFTOVER_DIR } from './leftovers.ts';
import { httpGet } from './probes.ts';
import { isAlive, killRecorded, recordProcess } from './proc.ts';

const OWNER = fileURLToPath(new URL('./abandoned-lab-owner.ts', import.meta.url));

interface Owned {
  prefix: string;
  namespaces: string[];
  pids: number[];
}

/**
 * Starts a process that builds a lab and reports what it owns. Records go to the real LEFTOVER_DIR: labs of
 * test files running right now have live owners, which cleanupLeftovers() must (and is shown to) leave alone.
 */
async function startOwner() {
  const owner = execa(process.execPath, ['--import', 'tsx', OWNER, LEFTOVER_DIR], {
    reject: false,
    buffer: false,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    owner.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    owner.then((r) => reject(new Error(`lab owner exited early: ${r.exitCode ?? r.signal}`)));
  });
  return { owner, owned: JSON.parse(line) as Owned };
}

async function expectGone(owned: Owned) {
  const left = await listNamespaces();
  expect(left.filter((ns) => ns.startsWith(`${owned.prefix}-`))).toEqual([]);
  expect(owned.pids.filter(isAlive)).toEqual([]);
  expect(existsSync(join(LEFTOVER_DIR, `${owned.prefix}.json`))).toBe(false);
}

describe('lab teardown', () => {
  it('destroy() removes every namespace, process, temp dir and record the lab created', async () => {
    const lab = await LabNetwork.create({ nodes: labNodeSpecs(2) });
    const http = await lab.serveHttp(lab.ns.dev, LAB_ADDRS.device, 8080);
    expect(JSON.parse((await httpGet(lab.ns.dev, `${http.url}/x`)).body)).toMatchObject({ ns: lab.ns.dev });
    const owned = { prefix: lab.prefix, namespaces: [...lab.namespaces], pids: lab.pids };
    expect(owned.pids).toHaveLength(2); // dnsmasq and the HTTP server
    expect(readdirSync(LEFTOVER_DIR)).toContain(`${lab.prefix}.json`);
    await lab.destroy();
    await expectGone(owned);
    expect(existsSync(lab.tmpDir)).toBe(false);
    await lab.destroy(); // idempotent
  });

  it('cleanupLeftovers() tears down a lab whose owner process was SIGKILLed', async () => {
    const { owner, owned } = await startOwner();
    owner.kill('SIGKILL');
    await owner;
    // The owner is gone but its lab is not: namespaces and its children (dnsmasq, HTTP server) remain.
    expect((await listNamespaces()).filter((ns) => owned.namespaces.includes(ns))).toHaveLength(
      owned.namespaces.length,
    );
    expect(owned.pids.filter(isAlive)).toHaveLength(2);
    const cleaned = await cleanupLeftovers();
    expect(cleaned).toContainEqual({
      prefix: owned.prefix,
      namespaces: owned.namespaces,
      killedPids: owned.pids,
    });
    await expectGone(owned);
  });

  it('tears the lab down when its owner gets SIGTERM (exit hook), without cleanupLeftovers()', async () => {
    const { owner, owned } = await startOwner();
    owner.kill('SIGTERM');
    expect((await owner).signal).toBe('SIGTERM');
    await expectGone(owned);
  });

  it('cleanupLeftovers() leaves a lab alone while its owner lives', async () => {
    const lab = await LabNetwork.create({ nodes: [], dhcp: false });
    try {
      expect((await cleanupLeftovers()).map((c) => c.prefix)).not.toContain(lab.prefix);
      expect((await listNamespaces()).filter((ns) => lab.namespaces.includes(ns))).toHaveLength(3);
    } finally {
      await lab.destroy();
    }
  });

  it('never kills a recorded PID that now belongs to another process', async () => {
    const sleeper = execa('sleep', ['30'], { reject: false });
    const rec = recordProcess(sleeper.pid as number, ['sleep', '30']);
    await killRecorded({ ...rec, startTime: String(Number(rec.startTime) - 1) });
    await killRecorded({ ...rec, argv: ['dnsmasq', '--keep-in-foreground'] });
    expect(isAlive(rec.pid)).toBe(true);
    await killRecorded(rec);
    expect((await sleeper).signal).toBe('SIGTERM');
  });
});
