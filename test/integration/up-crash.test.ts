// Crash matrix: `up` SIGKILLed after each step of a fresh run, then rerun: always one LNI, configured, nothing leaked.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabNode, parseLogs } from '../lab/lab.ts';
import { LAB_ADDRS } from '../lab/net/index.ts';
import { callsFrom, hostSnapshot, lastSeq, mutating, staticConfig } from './helpers.ts';

/**
 * The JSON log line after which the agent is killed, what the crash interrupts, and what it leaves behind:
 * the LNI's attachment in EC2 at the moment of the kill, and whether the host already has the policy rule.
 */
const CRASH_POINTS = [
  {
    step: 'create-eni',
    what: 'after CreateNetworkInterface, before attach',
    eniAtKill: ['available/-/-'],
    ruleAtKill: false,
  },
  {
    step: 'attach-eni',
    what: 'after AttachNetworkInterface, while still attaching',
    eniAtKill: ['in-use/attaching/false'],
    ruleAtKill: false,
  },
  {
    step: 'wait-attached',
    what: 'attached, before DeleteOnTermination',
    // up sends ModifyNetworkInterfaceAttribute right after this line: the kill may land after EC2 took it.
    eniAtKill: ['in-use/attached/false', 'in-use/attached/true'],
    ruleAtKill: false,
  },
  {
    step: 'set-delete-on-termination',
    what: 'before any host change',
    eniAtKill: ['in-use/attached/true'],
    ruleAtKill: false,
  },
  {
    // A static address is applied in one go; the pool (like DHCP) brings the link up first, then takes an address.
    step: 'host-prelude',
    what: 'mid host config (pool addressing): sysctls and link up, no address or rule',
    eniAtKill: ['in-use/attached/true'],
    ruleAtKill: false,
    pool: true,
  },
  {
    step: 'host-apply',
    what: 'host configured, before the join',
    eniAtKill: ['in-use/attached/true'],
    ruleAtKill: true,
  },
  {
    step: 'join',
    what: 'joined, before the final state save',
    eniAtKill: ['in-use/attached/true'],
    ruleAtKill: true,
  },
] as const;

/** Node n (1-based) runs crash point n-1 with this LAN address. */
const addressOf = (n: number) => `192.0.2.${20 + n}`;

interface Crash {
  /** Whether the step's log line was seen and the agent was killed right then. */
  killed: boolean;
  pid?: number;
  signal?: string;
  /** The `step` fields the killed run logged, in order. */
  steps: unknown[];
  converged: boolean;
  /** The node's tagged ENIs in the lab's EC2 state when the kill was sent: status/attachment/DeleteOnTermination. */
  enisAtKill: string[];
  /** Whether the agent's policy rule (table 200) was on the host once the agent was dead. */
  ruleAtDeath: boolean;
}

/** Starts a fresh `up`, SIGKILLs it as soon as it logs `step`, and reports what it had done by then. */
async function crashAfter(lab: Lab, node: LabNode, step: string): Promise<Crash> {
  const child = lab.spawnAgent(node, ['up']);
  let stderr = '';
  let killed = false;
  let enisAtKill: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!killed && parseLogs(stderr).some((l) => l.step === step)) {
      killed = true;
      child.kill('SIGKILL');
      enisAtKill = lab
        .ownedEnis(node)
        .map((e) => `${e.status}/${e.attachment?.status ?? '-'}/${e.attachment?.deleteOnTermination ?? '-'}`);
    }
  });
  const r = await child;
  const logs = parseLogs(stderr);
  const rules = (await lab.net.exec(node.ns, 'ip', ['rule', 'show'])).stdout;
  return {
    killed,
    pid: child.pid,
    signal: r.signal,
    steps: logs.filter((l) => l.step).map((l) => l.step),
    converged: logs.some((l) => l.msg === 'up: converged'),
    enisAtKill,
    ruleAtDeath: rules.includes('lookup 200'),
  };
}

describe('up survives SIGKILL at every step of a fresh run', () => {
  let lab: Lab;
  beforeAll(async () => {
    // A slower attach so the kill after attach-eni lands while the attachment is still `attaching`.
    lab = await Lab.start({ nodes: CRASH_POINTS.length, timings: { attachDelayMs: 800 } });
    // up sends ModifyNetworkInterfaceAttribute right after logging wait-attached: holding its answer keeps that
    // run from getting further before the kill lands (EC2 may still have taken the change: see eniAtKill).
    lab.ec2.faults.add({ action: 'ModifyNetworkInterfaceAttribute', kind: 'latency', latencyMs: 1500 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.concurrent.for(CRASH_POINTS.map((p, i) => ({ ...p, n: i + 1 })))(
    'killed after $step ($what): the rerun owns exactly one attached LNI with DeleteOnTermination, configures the host, and a third up changes nothing',
    async ({ step, n, eniAtKill, ruleAtKill, ...point }, { expect }) => {
      const node = lab.node(n);
      const address = addressOf(n);
      const pool = { mode: 'pool', start: address, end: address, prefixLength: 24, probeTimeoutMs: 500 };
      await lab.writeConfig(
        node,
        'pool' in point
          ? staticConfig(address, { addressing: { ...pool, gateway: LAB_ADDRS.lanGateway } })
          : staticConfig(address),
      );

      const crash = await crashAfter(lab, node, step);
      expect(crash.killed, `never saw step ${step}; the run logged ${JSON.stringify(crash.steps)}`).toBe(
        true,
      );
      expect(crash.signal).toBe('SIGKILL');
      expect(crash.converged).toBe(false);
      // The kill landed where intended: nothing after the step was done, in EC2 or on the host.
      expect(crash.steps.at(-1)).toBe(step);
      expect(crash.enisAtKill).toHaveLength(1);
      expect(eniAtKill).toContain(crash.enisAtKill[0]);
      expect(crash.ruleAtDeath).toBe(ruleAtKill);
      // The dead agent's PID lock is still on disk: the rerun must see through it.
      expect((await readFile(join(node.dir, 'agent.lock'), 'utf8')).trim()).toBe(String(crash.pid));

      const rerun = await lab.agent(node, ['up']);
      expect(rerun.exitCode, `rerun exited 7 (lock busy)? ${rerun.stderr}`).not.toBe(7);
      expect(rerun.exitCode, rerun.stderr).toBe(0);

      const owned = lab.ownedEnis(node);
      expect(owned).toHaveLength(1);
      const eni = owned[0];
      expect(eni?.attachment).toMatchObject({
        instanceId: node.instanceId,
        deviceIndex: 1,
        status: 'attached',
        deleteOnTermination: true,
      });
      expect(
        lab.state
          .enisOfInstance(node.instanceId)
          .map((e) => e.attachment?.deviceIndex)
          .sort(),
      ).toEqual([0, 1]);
      // Every create for this node (killed run and rerun) used one ClientToken: a retried create is the same ENI.
      const creates = callsFrom(lab, node).filter((c) => c.action === 'CreateNetworkInterface' && !c.dryRun);
      expect(creates.length).toBeGreaterThanOrEqual(1);
      expect(new Set(creates.map((c) => c.params.ClientToken)).size).toBe(1);

      // The host: the LAN address on the interface with the ENI's MAC, and the policy rule for it.
      const link = await lab.net.linkByMac(node.ns, eni?.macAddress ?? 'none');
      expect(link, `no interface with MAC ${eni?.macAddress}`).toBeDefined();
      const addrs = (
        await lab.net.exec(node.ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', link?.ifname ?? 'none'])
      ).stdout;
      expect(addrs).toContain(`${address}/24`);
      const rules = (await lab.net.exec(node.ns, 'ip', ['rule', 'show'])).stdout;
      expect(rules).toMatch(new RegExp(`^2000:\\s+from ${address.replaceAll('.', '\\.')} lookup 200`, 'm'));
      expect((await lab.net.exec(node.ns, 'ip', ['route', 'show', 'table', '200'])).stdout).toContain(
        `dev ${link?.ifname}`,
      );

      // Converged: a third run makes no mutating EC2 call and changes nothing on the host.
      const before = await hostSnapshot(lab, node);
      const since = lastSeq(lab);
      const third = await lab.agent(node, ['up']);
      expect(third.exitCode, third.stderr).toBe(0);
      expect(mutating(callsFrom(lab, node, since)).map((c) => c.action)).toEqual([]);
      expect(await hostSnapshot(lab, node)).toBe(before);
    },
  );

  it('leaked no ENI anywhere in EC2: one primary per instance plus exactly one LNI per node that crashed', () => {
    const all = lab.state.allEnis();
    expect(all).toHaveLength(lab.nodes.length + CRASH_POINTS.length);
    expect(all.filter((e) => e.status === 'available').map((e) => e.networkInterfaceId)).toEqual([]);
    for (const node of lab.nodes) expect(lab.state.enisOfInstance(node.instanceId)).toHaveLength(2);
  });
});
