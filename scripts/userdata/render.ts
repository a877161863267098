// Renders a node's EC2 userdata (cloud-init MIME multipart) for AL2 or AL2023 from the agent config and options.
import YAML from 'yaml';
import { validateConfig } from '../../agent/config/loader.ts';
import { type MimePart, multipart } from './mime.ts';
import {
  type AgentSource,
  agentScript,
  checkNodeConfig,
  instanceStorageScript,
  nodeConfigFromCluster,
} from './parts.ts';

/** EC2 refuses userdata over 16 KB, counted before base64. */
export const USERDATA_LIMIT = 16 * 1024;

export type NodeOs = 'al2' | 'al2023';

export interface UserdataOptions {
  os: NodeOs;
  /** The agent's config file as the node should get it (validated against the schema here). */
  configYaml: string;
  /** Where to get the agent; absent: it is baked into the AMI. */
  agent?: AgentSource;
  /** AL2023: a NodeConfig of your own instead of the one made from the config's cluster section. */
  nodeConfigYaml?: string;
  /** Mount point for the instance-store disks; absent: leave them alone. */
  instanceStorage?: string;
  /** Extra scripts (each starting with #!), run after the agent is up, in the order given. */
  userScripts?: readonly { name: string; content: string }[];
  version: string;
}

export class UserdataError extends Error {}

function check(o: UserdataOptions): void {
  if (o.agent) {
    if (!/^(s3|https):\/\/[^\s]+$/.test(o.agent.url))
      throw new UserdataError(`--agent-url: s3://… or https://… expected, got ${o.agent.url}`);
    if (!/^[0-9a-fA-F]{64}$/.test(o.agent.sha256))
      throw new UserdataError('--agent-sha256: 64 hex digits expected (see dist/SHA256SUMS)');
  }
  if (o.instanceStorage !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(o.instanceStorage))
    throw new UserdataError(`--instance-storage: an absolute path expected, got ${o.instanceStorage}`);
  if (o.nodeConfigYaml !== undefined && o.os !== 'al2023')
    throw new UserdataError('--nodeconfig applies to AL2023 only (AL2 joins through bootstrap.sh)');
  for (const s of o.userScripts ?? [])
    if (!s.content.startsWith('#!')) throw new UserdataError(`${s.name}: a user script must start with #!`);
}

/**
 * Part order is boot order. On AL2023, nodeadm-config.service (Before=cloud-init.service) reads the NodeConfig part
 * from IMDS and writes the containerd/kubelet config without starting either; cloud-final's scripts-user then runs
 * the shell parts in filename order: instance storage, the agent (attach + configure the LNI, then write its drop-in
 * /etc/eks/nodeadm.d/20-outposts-node-agent.yaml: kubelet --node-ip, the LNI labels, max-pods), your scripts; only
 * then nodeadm-run.service (After=cloud-final.service) runs `nodeadm init` over the user data and /etc/eks/nodeadm.d
 * (the drop-in wins where both set a field; kubelet flags add up) and starts kubelet, so kubelet never starts before
 * the LNI is configured and the user's NodeConfig (taints, labels, kubelet config) is kept. Nothing calls nodeadm
 * from userdata. On AL2 nothing starts kubelet until the agent runs /etc/eks/bootstrap.sh.
 */
export function renderUserdata(o: UserdataOptions): string {
  check(o);
  let config: ReturnType<typeof validateConfig>;
  try {
    config = validateConfig(YAML.parse(o.configYaml) ?? {});
  } catch (err) {
    throw new UserdataError(`--config: ${(err as Error).message}`);
  }
  const parts: MimePart[] = [];
  if (o.os === 'al2023') {
    const nodeConfig = o.nodeConfigYaml
      ? checkNodeConfig(o.nodeConfigYaml)
      : nodeConfigFromCluster(config.cluster);
    parts.push({ contentType: 'application/node.eks.aws', body: nodeConfig });
  }
  if (o.instanceStorage)
    parts.push({
      contentType: 'text/x-shellscript',
      filename: '10-instance-storage.sh',
      body: instanceStorageScript(o.instanceStorage),
    });
  parts.push({
    contentType: 'text/x-shellscript',
    filename: '20-outposts-node-agent.sh',
    body: agentScript({ source: o.agent, configYaml: o.configYaml, version: o.version }),
  });
  (o.userScripts ?? []).forEach((s, i) => {
    const name = s.name.replace(/[^A-Za-z0-9._-]/g, '_');
    parts.push({
      contentType: 'text/x-shellscript',
      filename: `30-${String(i + 1).padStart(2, '0')}-${name}`,
      body: s.content,
    });
  });
  const out = multipart(parts);
  const size = Buffer.byteLength(out);
  if (size > USERDATA_LIMIT)
    throw new UserdataError(
      `userdata is ${size} bytes, over EC2's ${USERDATA_LIMIT}; parts: ${parts.map((p) => `${p.filename ?? p.contentType} ${Buffer.byteLength(p.body)}`).join(', ')}`,
    );
  return out;
}
