// `status`: the state file beside what is live on the host and in EC2, read-only.
import type { AgentConfig } from '../config/schema.ts';
import { diffHost } from '../model/plan-host.ts';
import type { AgentState } from '../model/state.ts';
import type { EniFacts, HostStep } from '../model/types.ts';
import type { Deps } from './deps.ts';
import { observeFor, recordedHost } from './host-plan.ts';

export interface StatusReport {
  stateFile: string;
  state?: AgentState;
  live: {
    interface?: { name: string; mac: string; up: boolean; mtu: number; addresses: string[] };
    /** Steps `up` would take to put the recorded host configuration back ([] = as recorded). */
    drift?: HostStep[];
    eni?: EniFacts | { error: string };
  };
}

export async function status(config: AgentConfig, deps: Deps): Promise<StatusReport> {
  const state = await deps.state.load();
  const report: StatusReport = { stateFile: config.paths.stateFile, state, live: {} };
  if (state?.host) {
    const desired = recordedHost(config, state.host);
    const observed = await observeFor(deps.hostNet, desired);
    const link =
      observed.links.find((l) => l.mac === state.eni?.mac) ??
      observed.links.find((l) => l.name === desired.lniName);
    if (link)
      report.live.interface = {
        name: link.name,
        mac: link.mac,
        up: link.up,
        mtu: link.mtu,
        addresses: observed.addresses
          .filter((a) => a.ifname === desired.ifname)
          .map((a) => `${a.address}/${a.prefixLength}`),
      };
    report.live.drift = diffHost(observed, desired);
  }
  const region = state?.region;
  if (state?.eni && region) {
    try {
      report.live.eni = (await deps.ec2(region).describeNetworkInterfaces({ ids: [state.eni.id] }))[0];
    } catch (err) {
      report.live.eni = { error: (err as Error).message };
    }
  }
  return report;
}

export function renderStatus(r: StatusReport): string {
  if (!r.state) return `no state at ${r.stateFile}: the agent has not run up on this node\n`;
  const s = r.state;
  const eni = r.live.eni && 'networkInterfaceId' in r.live.eni ? r.live.eni : undefined;
  const rows: [string, string, string][] = [
    ['', 'recorded', 'live'],
    ['instance', s.instanceId, ''],
    [
      'LNI',
      s.eni ? `${s.eni.id} (${s.eni.createdByAgent ? 'created' : 'adopted'})` : '-',
      eni
        ? `${eni.status}, ${eni.attachment?.status ?? 'detached'}`
        : r.live.eni && 'error' in r.live.eni
          ? r.live.eni.error
          : 'gone',
    ],
    ['delete on termination', '', eni?.attachment ? String(eni.attachment.deleteOnTermination) : '-'],
    [
      'interface',
      s.host ? s.host.ifname : '-',
      r.live.interface
        ? `${r.live.interface.name} ${r.live.interface.up ? 'up' : 'DOWN'} mtu ${r.live.interface.mtu}`
        : 'absent',
    ],
    [
      'address',
      s.host ? `${s.host.address.address}/${s.host.address.prefixLength} (${s.host.address.source})` : '-',
      r.live.interface?.addresses.join(', ') || '-',
    ],
    [
      'host drift',
      '',
      r.live.drift ? (r.live.drift.length ? r.live.drift.map((d) => d.kind).join(', ') : 'none') : '-',
    ],
    [
      'last up',
      s.lastUp ? `${s.lastUp.at} ${s.lastUp.ok ? 'ok' : `FAILED: ${s.lastUp.message ?? ''}`}` : '-',
      '',
    ],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  return `${rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd()).join('\n')}\n`;
}
