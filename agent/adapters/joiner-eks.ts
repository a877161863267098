// Joiner port: AL2/RHEL run /etc/eks/bootstrap.sh; AL2023 gets the agent's NodeConfig drop-in for the AMI's nodeadm-run.
import { join } from 'node:path';
import { JoinError } from '../errors.ts';
import { bootstrapArgs, nodeConfig } from '../model/plan-join.ts';
import type { HostFiles } from '../ports/host-files.ts';
import type { Joiner, JoinOutcome, JoinParams, JoinRecord } from '../ports/joiner.ts';
import type { Runner } from '../ports/runner.ts';

export const NODECONFIG_PATH = '/etc/eks/nodeadm.d/20-outposts-node-agent.yaml';
/** nodeadm's run-phase marker (amazon-eks-ami 81fec2e nodeadm/internal/system/marker.go): nodeadm-run ran this boot. */
export const NODEADM_RUN_MARKER = '/run/nodeadm/init';

export class EksJoiner implements Joiner {
  constructor(
    private readonly runner: Runner,
    private readonly files: HostFiles,
    private readonly hostRoot: string,
    /** Settings of the last successful join (from the state file). */
    private readonly last?: JoinRecord,
  ) {}

  async alreadyJoined(p: JoinParams): Promise<boolean> {
    const l = this.last;
    const same = Boolean(
      l &&
        l.method === p.method &&
        l.nodeIp === p.nodeIp &&
        JSON.stringify(l.labels) === JSON.stringify(p.labels),
    );
    // AL2023: the join is a file; if someone removed it, it is not done any more.
    if (same && p.method === 'nodeadm') return (await this.files.read(NODECONFIG_PATH)) !== undefined;
    return same;
  }

  async join(p: JoinParams): Promise<JoinOutcome> {
    if (p.method === 'bootstrap-sh') {
      const script = join(this.hostRoot, '/etc/eks/bootstrap.sh');
      const r = await this.runner.run(script, bootstrapArgs(p), { timeoutMs: 15 * 60_000 });
      if (r.exitCode !== 0)
        throw new JoinError(`${script} exited ${r.exitCode}: ${lastLines(r.stderr || r.stdout)}`);
      return { changed: true, pendingUntil: undefined };
    }
    // AL2023: the AMI's nodeadm-run.service (After=cloud-final.service) runs `nodeadm init` with the user data and
    // file:///etc/eks/nodeadm.d/ as sources, later ones winning (amazon-eks-ami 81fec2e
    // templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-run.service, nodeadm/internal/api/merge.go), and
    // starts kubelet. The agent's part is this drop-in: the user's NodeConfig (cluster, taints, labels, kubelet
    // config) stays theirs, and nodeadm is never called from userdata.
    const changed = await this.files.write(NODECONFIG_PATH, nodeConfig(p), 0o600);
    const ranThisBoot = (await this.files.read(NODEADM_RUN_MARKER)) !== undefined;
    return {
      changed,
      path: NODECONFIG_PATH,
      pendingUntil: changed && ranThisBoot ? 'next-boot' : changed ? 'nodeadm-run' : undefined,
    };
  }
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
