// P4 (watch): resident memory and CPU of an idle `watch` over a fixed period, read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Lab, LabNode } from '../../test/lab/lab.ts';
import { type AgentRuntime, agentArgv } from '../lib/agent-runtime.ts';
import { type Figure, figure } from '../lib/report.ts';

interface ProcSample {
  /** utime + stime + cutime + cstime in clock ticks. */
  ticks: number;
  /** cutime + cstime: children it has waited for (each `ip` it ran), in clock ticks. */
  childTicks: number;
  /** Its own threads' time on a CPU in ns (/proc/PID/task/TID/schedstat): exact where ticks are 10 ms steps. */
  cpuNs: number;
  rssKb: number;
  hwmKb: number;
}

function threadsCpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended
    }
  }
  return ns;
}

function readProc(pid: number): (ProcSample & { ppid: number }) | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    // f[0] is field 3 (state) of proc(5)'s stat: ppid is field 4; utime, stime, cutime, cstime are fields 14-17
    // (cutime/cstime: the children it has waited for, such as each `ip` it ran).
    return {
      ppid: Number(f[1]),
      ticks: [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0),
      childTicks: Number(f[13]) + Number(f[14]),
      cpuNs: threadsCpuNs(pid),
      rssKb: kb('VmRSS'),
      hwmKb: kb('VmHWM'),
    };
  } catch {
    return undefined;
  }
}

/** The process and every live descendant (the agent's `ip monitor` and the like). */
function tree(root: number): Map<number, ProcSample> {
  const all = new Map<number, ProcSample & { ppid: number }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    const s = Number.isInteger(pid) ? readProc(pid) : undefined;
    if (s) all.set(pid, s);
  }
  const out = new Map<number, ProcSample>();
  const visit = (pid: number) => {
    const s = all.get(pid);
    if (!s || out.has(pid)) return;
    out.set(pid, s);
    for (const [child, c] of all) if (c.ppid === pid) visit(child);
  };
  visit(root);
  return out;
}

function untilStderr(sub: { stderr: NodeJS.ReadableStream | null }, text: string, timeoutMs: number) {
  return new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`watch did not log "${text}": ${seen}`)), timeoutMs);
    sub.stderr?.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** RssAnon (heap) and RssFile (the executable's pages it touched) of a process, from /proc. */
function rssSplit(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string) =>
    (Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024).toFixed(1);
  return `anonymous ${mb('RssAnon')} MB, file-backed ${mb('RssFile')} MB`;
}

/** Breaks the LNI's policy rule, then its address, three times each; how long until watch has put each back. */
async function repairLatencies(lab: Lab, node: LabNode): Promise<{ what: string; ms: number }[]> {
  const sh = async (cmd: string, ...args: string[]) =>
    String((await lab.net.exec(node.ns, cmd, args)).stdout);
  const state = (await lab.readState(node)) as
    | { host?: { ifname: string; address: { address: string; prefixLength: number } } }
    | undefined;
  const ip = state?.host?.address.address ?? '';
  const address = `${ip}/${state?.host?.address.prefixLength}`;
  const ifname = state?.host?.ifname ?? '';
  if (!ip || !ifname) throw new Error('the node has no LNI address recorded');
  const until = async (check: () => Promise<boolean>) => {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > 10_000) throw new Error('watch did not repair within 10 s');
      await sleep(10);
    }
    return performance.now() - started;
  };
  const out: { what: string; ms: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const rule = (await sh('ip', 'rule')).split('\n').find((l) => l.includes(`from ${ip} `));
    const priority = rule?.split(':')[0]?.trim();
    if (!priority) throw new Error(`no policy rule from ${ip}`);
    await sh('ip', 'rule', 'del', 'priority', priority);
    out.push({ what: 'rule', ms: await until(async () => (await sh('ip', 'rule')).includes(`from ${ip} `)) });
    await sh('ip', 'addr', 'flush', 'dev', ifname);
    out.push({
      what: 'address',
      ms: await until(async () => (await sh('ip', '-4', 'addr', 'show', 'dev', ifname)).includes(address)),
    });
    await sleep(500);
  }
  return out;
}

/** Starts `watch` on a converged node, lets it settle, then measures IDLE_SECONDS of idling. */
export async function watchIdleFigures(
  lab: Lab,
  node: LabNode,
  runtime: AgentRuntime,
  idleSeconds: number,
): Promise<Figure[]> {
  const tck = Number((await execa('getconf', ['CLK_TCK'])).stdout) || 100;
  const [cmd = '', ...args] = agentArgv(runtime, node, ['watch']);
  const sub = lab.net.spawnIn(node.ns, cmd, args, { env: node.env, extendEnv: false, reject: false });
  try {
    await untilStderr(sub, 'watch: started', 30_000);
    const pid = sub.pid;
    if (pid === undefined) throw new Error('watch has no pid');
    await sleep(2000); // first reconcile and the monitor's start-up are not idling
    const before = tree(pid);
    await sleep(idleSeconds * 1000);
    const after = tree(pid);
    const agent = after.get(pid);
    if (!agent) throw new Error('watch exited while idle');
    const ticks = [...after].reduce((sum, [p, s]) => sum + s.ticks - (before.get(p)?.ticks ?? 0), 0);
    // Exact for the agent's threads and live children (ip monitor); 10 ms steps for the children it waited for.
    const ownNs = [...after].reduce((sum, [p, s]) => sum + s.cpuNs - (before.get(p)?.cpuNs ?? 0), 0);
    const waitedTicks = [...after].reduce(
      (sum, [p, s]) => sum + s.childTicks - (before.get(p)?.childTicks ?? 0),
      0,
    );
    const cpuSeconds = ownNs / 1e9 + waitedTicks / tck;
    const childrenKb = [...after].filter(([p]) => p !== pid).reduce((sum, [, s]) => sum + s.rssKb, 0);
    const split = rssSplit(pid);
    const repairs = await repairLatencies(lab, node);
    return [
      figure({
        id: 'p4.watch-rss',
        label: `P4 RSS of watch after ${idleSeconds} s idle, ${runtime.label}`,
        unit: 'MB',
        value: agent.rssKb / 1024,
        goal: { op: '<=', target: 48 },
        note: `peak ${(agent.hwmKb / 1024).toFixed(1)} MB; of the RSS, ${split}; ${after.size - 1} child process(es) add ${(childrenKb / 1024).toFixed(1)} MB`,
      }),
      figure({
        id: 'p4.watch-cpu',
        label: 'P4 watch CPU per idle hour (extrapolated)',
        unit: 's/h',
        value: (cpuSeconds / idleSeconds) * 3600,
        goal: { op: '<=', target: 4 },
        note: `${(cpuSeconds * 1000).toFixed(0)} ms of CPU in ${idleSeconds} s: the agent's threads and live children (schedstat, ns), children it waited for (${waitedTicks} ticks of 1/${tck} s); ${ticks} ticks in all`,
      }),
      figure({
        id: 'p5.repair',
        label: 'P5 watch repair: a deleted rule or flushed address back (max)',
        unit: 'ms',
        value: Math.max(...repairs.map((r) => r.ms)),
        goal: { op: '<=', target: 1000 },
        note: repairs.map((r) => `${r.what} ${Math.round(r.ms)}`).join(', '),
      }),
    ];
  } finally {
    sub.kill('SIGTERM');
    await sub;
  }
}
