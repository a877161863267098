// Joiner port: AL2/RHEL through /etc/eks/bootstrap.sh, AL2023 through nodeadm with a NodeConfig file.
import { join } from 'node:path';
import { JoinError } from '../errors.ts';
import { bootstrapArgs, nodeConfig } from '../model/plan-join.ts';
import type { HostFiles } from '../ports/host-files.ts';
import type { Joiner, JoinParams } from '../ports/joiner.ts';
import type { Runner } from '../ports/runner.ts';

export const NODECONFIG_PATH = '/etc/eks/nodeadm.d/20-outposts-node-agent.yaml';

export class EksJoiner implements Joiner {
  constructor(
    private readonly runner: Runner,
    private readonly files: HostFiles,
    private readonly hostRoot: string,
    /** Settings of the last successful join (from the state file). */
    private readonly last?: { method: string; nodeIp: string; labels: Record<string, string> },
  ) {}

  async alreadyJoined(p: JoinParams): Promise<boolean> {
    const l = this.last;
    return Boolean(
      l &&
        l.method === p.method &&
        l.nodeIp === p.nodeIp &&
        JSON.stringify(l.labels) === JSON.stringify(p.labels),
    );
  }

  async join(p: JoinParams): Promise<void> {
    const timeoutMs = 15 * 60_000;
    if (p.method === 'bootstrap-sh') {
      const script = join(this.hostRoot, '/etc/eks/bootstrap.sh');
      const r = await this.runner.run(script, bootstrapArgs(p), { timeoutMs });
      if (r.exitCode !== 0)
        throw new JoinError(`${script} exited ${r.exitCode}: ${lastLines(r.stderr || r.stdout)}`);
      return;
    }
    await this.files.write(NODECONFIG_PATH, nodeConfig(p), 0o600);
    const sources = [
      // Without endpoint and CA in our config, the cluster details come from the user's own NodeConfig in userdata.
      ...(p.apiServerEndpoint && p.certificateAuthority ? [] : ['--config-source', 'imds://user-data']),
      '--config-source',
      `file://${join(this.hostRoot, NODECONFIG_PATH)}`,
    ];
    const r = await this.runner.run('nodeadm', ['init', ...sources], { timeoutMs });
    if (r.exitCode !== 0)
      throw new JoinError(`nodeadm init exited ${r.exitCode}: ${lastLines(r.stderr || r.stdout)}`);
  }
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
