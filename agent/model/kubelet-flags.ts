// Pure: kubelet's node IP and labels from its command line or from the files bootstrap.sh and nodeadm write.

/**
 * Where the EKS AMIs keep kubelet's flags (amazon-eks-ami): AL2023's nodeadm writes
 * `NODEADM_KUBELET_ARGS=...` to /etc/eks/kubelet/environment (nodeadm/internal/kubelet/environment.go);
 * AL2's bootstrap.sh writes systemd drop-ins `Environment='KUBELET_ARGS=--node-ip=...'` (10-kubelet-args.conf)
 * and `Environment='KUBELET_EXTRA_ARGS=...'` (30-kubelet-extra-args.conf). kubelet.service expands them in this
 * order, so a later flag overrides an earlier one.
 */
export const KUBELET_FLAG_SOURCES: readonly { path: string; variable: string }[] = [
  { path: '/etc/eks/kubelet/environment', variable: 'NODEADM_KUBELET_ARGS' },
  { path: '/etc/systemd/system/kubelet.service.d/10-kubelet-args.conf', variable: 'KUBELET_ARGS' },
  {
    path: '/etc/systemd/system/kubelet.service.d/30-kubelet-extra-args.conf',
    variable: 'KUBELET_EXTRA_ARGS',
  },
];

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0] ? t.slice(1, -1) : t;
}

/** `KEY=value` lines of an environment file, and `Environment=` lines of a systemd drop-in. */
export function environmentAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const body = line.startsWith('Environment=') ? unquote(line.slice('Environment='.length)) : line;
    const eq = body.indexOf('=');
    if (eq > 0) out[body.slice(0, eq).trim()] = unquote(body.slice(eq + 1));
  }
  return out;
}

/** Splits a flag string on whitespace, keeping quoted parts together (quotes removed). */
export function splitArgs(s: string): string[] {
  return [...s.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0].replace(/["']/g, ''));
}

export interface KubeletSettings {
  nodeIp?: string;
  labels: Record<string, string>;
}

/** `--node-ip` (last one wins) and `--node-labels` (merged, as kubelet's map flag does) from argv. */
export function kubeletSettings(argv: readonly string[]): KubeletSettings {
  const settings: KubeletSettings = { labels: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--(node-ip|node-labels)(?:=(.*))?$/.exec(arg);
    if (!m) continue;
    const value = m[2] ?? argv[++i] ?? '';
    if (m[1] === 'node-ip') settings.nodeIp = value;
    else
      for (const pair of value.split(',').filter(Boolean)) {
        const eq = pair.indexOf('=');
        settings.labels[eq < 0 ? pair : pair.slice(0, eq)] = eq < 0 ? '' : pair.slice(eq + 1);
      }
  }
  return settings;
}
