// Runs a command in a lab node's namespace under /usr/bin/time (wall, CPU, peak RSS), optionally under strace.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { callsFrom, lastSeq } from '../../test/integration/helpers.ts';
import { type Lab, type LabNode, parseLogs } from '../../test/lab/lab.ts';
import type { CallRecord } from '../../test/lab/types.ts';

export interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Also count the programs it starts (under strace, which slows it down: its timings then mean little). */
  trace?: boolean;
}

export interface Spawns {
  /** Programs the command started (successful execve calls, the command's own excluded). */
  total: number;
  byProgram: Record<string, number>;
}

export interface Measured {
  exitCode: number | undefined;
  /** From just before the spawn to its exit, seen by this process (includes `ip netns exec` and `time`). */
  wallMs: number;
  /** Wall-clock (epoch ms) of the spawn and of the exit, to place the command's own log lines. */
  startedAt: number;
  endedAt: number;
  /** user + system CPU of the command and every child it waited for (GNU time, 10 ms resolution). */
  cpuMs: number;
  /** Largest resident set of the command or any one of its children (GNU time %M). */
  maxRssKb: number;
  /** Wall ms during which the lab's EC2 / IMDS endpoints were answering, over the run (all callers). */
  ec2BusyMs: number;
  imdsBusyMs: number;
  /** EC2 calls and the number of IMDS requests this node made during the run. */
  ec2Calls: CallRecord[];
  imdsCalls: number;
  /** Of those, IMDSv2 token requests (PUT /latest/api/token). */
  imdsTokens: number;
  stdout: string;
  stderr: string;
  logs: Record<string, unknown>[];
  /** With `trace`: what it started. */
  spawns?: Spawns;
}

const TIME_FORMAT = 'bench-time %e %U %S %M';

/**
 * strace's record of every successful execve, children of children included. The first is the command's own;
 * forks that exec nothing (bash subshells) are not programs started and are not counted.
 */
const STRACE = ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none'];

function parseTime(text: string): { cpuMs: number; maxRssKb: number } {
  const line = text.split('\n').find((l) => l.startsWith('bench-time '));
  const [, , user = 'NaN', sys = 'NaN', rss = 'NaN'] = line?.split(' ') ?? [];
  return { cpuMs: (Number(user) + Number(sys)) * 1000, maxRssKb: Number(rss) };
}

function parseSpawns(trace: string): Spawns {
  const execs = trace
    .split('\n')
    .flatMap((l) => {
      const m = /execve\("([^"]+)".*\) = 0$/.exec(l);
      return m?.[1] ? [basename(m[1])] : [];
    })
    .slice(1);
  const byProgram: Record<string, number> = {};
  for (const p of execs) byProgram[p] = (byProgram[p] ?? 0) + 1;
  return { total: execs.length, byProgram };
}

/** Runs ARGV inside NODE's namespace with NODE's environment (plus ENV), measured by GNU time. */
export async function measureInNode(
  lab: Lab,
  node: LabNode,
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<Measured> {
  const timeFile = join(node.dir, 'bench-time.txt');
  const traceFile = join(node.dir, 'bench-strace.txt');
  const command = opts.trace ? [...STRACE, '-o', traceFile, ...argv] : argv;
  const since = lastSeq(lab);
  const imdsSince = lab.imds.calls().at(-1)?.seq ?? 0;
  const ec2Busy = lab.ec2.busyMs();
  const imdsBusy = lab.imds.busyMs();
  const startedAt = Date.now();
  const started = performance.now();
  const r = await lab.net.exec(node.ns, '/usr/bin/time', ['-f', TIME_FORMAT, '-o', timeFile, ...command], {
    env: { ...node.env, ...opts.env },
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 300_000,
  });
  const wallMs = performance.now() - started;
  const endedAt = Date.now();
  const time = parseTime(await readFile(timeFile, 'utf8').catch(() => ''));
  const imdsCalls = lab.imds.calls().filter((c) => c.seq > imdsSince && c.instanceId === node.instanceId);
  return {
    exitCode: r.exitCode,
    wallMs,
    startedAt,
    endedAt,
    ...time,
    ec2BusyMs: lab.ec2.busyMs() - ec2Busy,
    imdsBusyMs: lab.imds.busyMs() - imdsBusy,
    ec2Calls: callsFrom(lab, node, since),
    imdsCalls: imdsCalls.length,
    imdsTokens: imdsCalls.filter((c) => c.method === 'PUT').length,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    logs: parseLogs(String(r.stderr)),
    spawns: opts.trace ? parseSpawns(await readFile(traceFile, 'utf8').catch(() => '')) : undefined,
  };
}
