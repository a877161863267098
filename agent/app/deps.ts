// The one place that builds every effect the commands use (no singletons, nothing at module load).

import { bun } from '../adapters/bun-spawn.ts';
import { DhclientDhcp } from '../adapters/dhcp-dhclient.ts';
import { NetworkdDhcp } from '../adapters/dhcp-networkd.ts';
import { NetworkManagerDhcp } from '../adapters/dhcp-networkmanager.ts';
import { RootedHostFiles } from '../adapters/host-files.ts';
import { IpHostNet } from '../adapters/host-net-ip.ts';
import { HttpImds } from '../adapters/imds-http.ts';
import { IptablesSnat } from '../adapters/iptables.ts';
import { EksJoiner } from '../adapters/joiner-eks.ts';
import { loadOnFirstCall } from '../adapters/lazy-port.ts';
import { TextfileMetrics } from '../adapters/metrics-textfile.ts';
import { IpMonitor } from '../adapters/netlink-monitor-ip.ts';
import { ProcProcesses } from '../adapters/processes-proc.ts';
import { BunRunner } from '../adapters/runner-bun.ts';
import { ExecaRunner } from '../adapters/runner-execa.ts';
import { FileLocks, StateFile } from '../adapters/state-file.ts';
import type { AgentConfig } from '../config/schema.ts';
import type { Log } from '../log.ts';
import type { DhcpClientName } from '../model/dhcp-client.ts';
import type { AutoScaling } from '../ports/autoscaling.ts';
import type { Clock } from '../ports/clock.ts';
import type { Dhcp } from '../ports/dhcp.ts';
import type { Ec2 } from '../ports/ec2.ts';
import type { HostFiles } from '../ports/host-files.ts';
import type { HostNet } from '../ports/host-net.ts';
import type { Imds } from '../ports/imds.ts';
import type { Joiner, JoinRecord } from '../ports/joiner.ts';
import type { Locks } from '../ports/locks.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { NetlinkMonitor } from '../ports/monitor.ts';
import type { Processes } from '../ports/processes.ts';
import type { Runner } from '../ports/runner.ts';
import type { SnatHost } from '../ports/snat.ts';
import { COMMIT, VERSION } from '../version.ts';

export interface Deps {
  log: Log;
  clock: Clock;
  runner: Runner;
  imds: Imds;
  /**
   * EC2 needs the region, which discovery finds. `checks`: a client for read-only checks and DryRun probes that
   * gives up quickly (2 attempts, 2.5 s per request) instead of riding out throttling like the one for changes.
   */
  ec2(region: string, use?: 'changes' | 'checks'): Ec2;
  /** Auto Scaling (the termination lifecycle hook), in the instance's region. */
  autoScaling(region: string): AutoScaling;
  hostNet: HostNet;
  /** The nat table and destination rules for pod traffic to the LAN. */
  snat: SnatHost;
  /** The DHCP client the LNI's lease comes from (picked by pickDhcpClient). */
  dhcp(client: DhcpClientName): Dhcp;
  files: HostFiles;
  state: StateFile;
  monitor: NetlinkMonitor;
  /** The processes in this network namespace (which network managers run; diagnose: kubelet). */
  processes: Processes;
  locks: Locks;
  /** The metrics file for node_exporter (never fails a command). */
  metrics: Metrics;
  /** The join (AL2/RHEL bootstrap.sh, AL2023 the nodeadm drop-in), knowing the last one's settings. */
  joiner(last?: JoinRecord): Joiner;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export function buildDeps(config: AgentConfig, log: Log): Deps {
  // Bun's own spawn in the packaged executable: node:child_process would cost it ~10 MB of RSS (bench P4).
  const runner = bun ? new BunRunner() : new ExecaRunner();
  const files = new RootedHostFiles(config.paths.hostRoot);
  const hostNet = new IpHostNet(runner);
  const locks = new FileLocks(systemClock);
  return {
    log,
    clock: systemClock,
    runner,
    imds: new HttpImds(),
    ec2: (region, use = 'changes') =>
      loadOnFirstCall<Ec2>(async () => {
        const { SdkEc2 } = await import('../adapters/ec2-sdk.ts');
        return new SdkEc2(use === 'checks' ? { region, maxAttempts: 2, requestTimeoutMs: 2500 } : { region });
      }),
    autoScaling: (region) =>
      loadOnFirstCall<AutoScaling>(async () => {
        const { SdkAutoScaling } = await import('../adapters/autoscaling-sdk.ts');
        return new SdkAutoScaling({ region });
      }),
    hostNet,
    snat: new IptablesSnat(runner),
    dhcp: (client) =>
      client === 'networkd'
        ? new NetworkdDhcp(files, hostNet, systemClock)
        : client === 'networkmanager'
          ? new NetworkManagerDhcp(runner, systemClock)
          : new DhclientDhcp(runner, config.paths.runDir),
    files,
    state: new StateFile(config.paths.stateFile),
    monitor: new IpMonitor(),
    processes: new ProcProcesses(),
    locks,
    metrics: new TextfileMetrics({
      ...config.metrics,
      stateFile: config.paths.stateFile,
      build: { version: VERSION, commit: COMMIT },
      locks,
      log,
    }),
    joiner: (last) => new EksJoiner(runner, files, config.paths.hostRoot, last),
  };
}
