// The userdata parts: the agent's install-configure-up script, the instance-storage script and the AL2023 NodeConfig.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

export interface AgentSource {
  /** s3://bucket/key or https://…, of an RPM (…​.rpm) or of the bare executable. */
  url: string;
  sha256: string;
}

/** Single-quotes a value for bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const CONFIG_EOF = 'OUTPOSTS_NODE_AGENT_CONFIG_EOF';
const UNITS = 'outposts-node-agent.service outposts-node-agent-watch.service outposts-node-agent-sweep.timer';

function installLines(source: AgentSource | undefined): string[] {
  if (!source)
    return [
      '# The agent is baked into the AMI (the RPM, or the executable in /usr/local/bin or on PATH).',
      'agent=$(PATH="$PATH:/usr/local/bin:/usr/bin" command -v outposts-node-agent) ||',
      '  { echo "outposts-node-agent is not installed on this AMI" >&2; exit 1; }',
    ];
  const isRpm = new URL(source.url).pathname.endsWith('.rpm');
  const fetch = source.url.startsWith('s3://')
    ? 'aws s3 cp --only-show-errors "$AGENT_URL" "$tmp/agent"'
    : 'curl -fsSL --proto =https --retry 5 --retry-connrefused -o "$tmp/agent" "$AGENT_URL"';
  return [
    `AGENT_URL=${shellQuote(source.url)}`,
    `AGENT_SHA256=${shellQuote(source.sha256.toLowerCase())}`,
    'tmp=$(mktemp -d)',
    `trap 'rm -rf "$tmp"' EXIT`,
    fetch,
    'echo "$AGENT_SHA256  $tmp/agent" | sha256sum -c --quiet - || { echo "$AGENT_URL: SHA-256 mismatch" >&2; exit 1; }',
    ...(isRpm
      ? ['rpm -U --replacepkgs --oldpackage "$tmp/agent"', 'agent=/usr/bin/outposts-node-agent']
      : [
          'install -D -m 0755 "$tmp/agent" /usr/local/bin/outposts-node-agent',
          'agent=/usr/local/bin/outposts-node-agent',
        ]),
  ];
}

/**
 * Installs the agent (or checks the AMI has it), writes its config and runs `up` directly: the LNI is attached and
 * configured, and the join prepared with kubelet on the VPC address (AL2: bootstrap.sh runs now; AL2023: the drop-in
 * nodeadm-run.service reads after cloud-final), before kubelet first starts. `up` is not run through
 * `systemctl start` the first time because on AL2 its join starts kubelet, which the unit is ordered before: that
 * start would wait for the unit, and the unit for it. Once joined, starting the unit runs a converged `up` (no EC2
 * change, no second join) and makes systemd run `release` at shutdown and `up` first thing at every boot.
 */
export function agentScript(o: { source?: AgentSource; configYaml: string; version: string }): string {
  if (o.configYaml.split('\n').includes(CONFIG_EOF))
    throw new Error(`the config contains the line ${CONFIG_EOF}`);
  return [
    '#!/bin/bash',
    `# outposts-node-agent ${o.version}: install, configure and start the agent (rendered by scripts/render-userdata).`,
    'set -euo pipefail',
    ...installLines(o.source),
    'install -d -m 0755 /etc/outposts-node-agent',
    `cat > /etc/outposts-node-agent/config.yaml <<'${CONFIG_EOF}'`,
    o.configYaml.endsWith('\n') ? o.configYaml.slice(0, -1) : o.configYaml,
    CONFIG_EOF,
    '"$agent" up',
    'if [ -f /usr/lib/systemd/system/outposts-node-agent.service ]; then',
    '  systemctl daemon-reload',
    `  systemctl enable ${UNITS}`,
    `  systemctl start ${UNITS}`,
    'fi',
    '',
  ].join('\n');
}

/** Formats and mounts the instance-store NVMe disks (RAID 0 when several); a no-op without any, idempotent. */
export function instanceStorageScript(mountPoint: string): string {
  const template = readFileSync(new URL('./instance-storage.sh', import.meta.url), 'utf8');
  const line = /^MOUNT_POINT=.*$/m;
  if (!line.test(template)) throw new Error('instance-storage.sh: no MOUNT_POINT= line');
  return template.replace(line, `MOUNT_POINT=${shellQuote(mountPoint)}`);
}

export interface ClusterInfo {
  name?: string;
  apiServerEndpoint?: string;
  certificateAuthority?: string;
  serviceCidr?: string;
}

/** AL2023: the NodeConfig nodeadm-config.service reads before cloud-init runs (it needs all four cluster fields). */
export function nodeConfigFromCluster(c: ClusterInfo): string {
  const missing = (['name', 'apiServerEndpoint', 'certificateAuthority', 'serviceCidr'] as const).filter(
    (k) => !c[k],
  );
  if (missing.length)
    throw new Error(
      `AL2023 needs cluster.${missing.join(', cluster.')} in the agent config for the NodeConfig (or give --nodeconfig)`,
    );
  return `---\n${YAML.stringify({
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: c.name,
        apiServerEndpoint: c.apiServerEndpoint,
        certificateAuthority: c.certificateAuthority,
        cidr: c.serviceCidr,
      },
    },
  })}`;
}

/** A NodeConfig the user wrote: checked to be one, passed through as written. */
export function checkNodeConfig(text: string): string {
  const doc = YAML.parse(text) as { apiVersion?: unknown; kind?: unknown } | null;
  if (
    typeof doc?.apiVersion !== 'string' ||
    !doc.apiVersion.startsWith('node.eks.aws/') ||
    doc.kind !== 'NodeConfig'
  )
    throw new Error('--nodeconfig: not a NodeConfig (apiVersion node.eks.aws/…, kind NodeConfig)');
  return text;
}
