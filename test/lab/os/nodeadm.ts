// Stand-in for the AMI's `nodeadm init` run phase (nodeadm-run.service): config sources, merge, validation, kubelet.
//
// nodeadm is a Go binary that cannot run here. This follows awslabs/amazon-eks-ami at
// 81fec2e895854f599974fe4d3d72f61c0a9aaffa rule by rule, for what decides whether a node joins with the user's
// settings and the agent's; each rule names its upstream file. Effects (IMDS, files) come in through `NodeadmHost`.
import { gunzipSync } from 'node:zlib';
import PostalMime from 'postal-mime';
import YAML from 'yaml';
import { LAB_INSTANCE_TYPES } from '../ec2/instance-types.ts';

/** templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-run.service: ExecStart's sources, in order. */
export const NODEADM_RUN_SOURCES = ['imds://user-data', 'file:///etc/eks/nodeadm.d/'];
/** nodeadm/internal/system/marker.go: created by the run phase (markerAspect), read by the udev broker. */
export const RUN_MARKER = '/run/nodeadm/init';

type Doc = Record<string, unknown>;

export interface NodeadmHost {
  /** IMDS `latest/<path>` (IMDSv2), undefined on 404. */
  imds(path: string): Promise<string | undefined>;
  /** Directory entries (names only), undefined when the path does not exist. */
  readDir(path: string): Promise<string[] | undefined>;
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, content: string): Promise<void>;
  log(level: 'info' | 'warn', msg: string): void;
}

export class NodeadmError extends Error {}

export interface NodeadmResult {
  config: Doc;
  kubeletFlags: string[];
  kubeletConfig: Doc;
  /** spec.kubelet.config as written to config.json.d/40-nodeadm.conf (undefined: none). */
  userKubeletConfig?: Doc;
}

const NODECONFIG_MEDIA_TYPE = 'application/node.eks.aws';
const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as Doc).length === 0);
const isMap = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * nodeadm/internal/api/merge.go: mergo.Merge(dst, src, WithOverride) with transformers. A non-empty src value
 * overrides, an empty one never clears; nested structs and maps merge key by key (kubelet.config through
 * util.Merge, a deep map merge, src wins); kubelet.flags are appended (pflag: the last flag wins, --node-labels
 * accumulates); other lists are replaced by a non-empty src list.
 */
export function mergeNodeConfigs(dst: Doc, src: Doc, path: string[] = []): Doc {
  const out: Doc = { ...dst };
  for (const [key, value] of Object.entries(src)) {
    const at = [...path, key].join('.');
    if (at === 'spec.kubelet.flags' && Array.isArray(value)) {
      out[key] = [...((out[key] as unknown[]) ?? []), ...value];
    } else if (isMap(value) && isMap(out[key])) {
      out[key] = mergeNodeConfigs(out[key] as Doc, value, [...path, key]);
    } else if (!isEmpty(value)) {
      out[key] = value;
    }
  }
  return out;
}

/** nodeadm/internal/api/validation.go ValidateNodeConfig: the first missing cluster field, in this order. */
export function validateNodeConfig(config: Doc): void {
  const cluster = ((config.spec as Doc | undefined)?.cluster ?? {}) as Doc;
  if (!cluster.name) throw new NodeadmError('Name is missing in cluster configuration');
  if (!cluster.apiServerEndpoint)
    throw new NodeadmError('Apiserver endpoint is missing in cluster configuration');
  if (!cluster.certificateAuthority)
    throw new NodeadmError('Certificate authority is missing in cluster configuration');
  if (!cluster.cidr) throw new NodeadmError('CIDR is missing in cluster configuration');
}

/** nodeadm/internal/api/net.go GetClusterDns: IPv4 `CIDR[:LastIndex(CIDR, ".")] + ".10"` (text, not arithmetic). */
export function clusterDns(cidr: string): string {
  if (cidr.includes(':')) return `${cidr.split('/')[0]}a`;
  return `${cidr.slice(0, cidr.lastIndexOf('.'))}.10`;
}

/** nodeadm/internal/kubelet/eni_max_pods.go calculateStandardMaxPods (instance-info table), 110 when unknown. */
function standardMaxPods(instanceType: string): number {
  const info = LAB_INSTANCE_TYPES.find((t) => t.instanceType === instanceType);
  return info ? info.maxEnis * (info.ipv4PerEni - 1) + 2 : 110;
}

/** encoding.go decodeIfBase64: Go's strict StdEncoding (CR/LF ignored); anything that fails stays as it is. */
function decodeIfBase64(data: Buffer): Buffer {
  const text = data.toString('latin1').replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return data;
  return Buffer.from(text, 'base64');
}

/** encoding.go decompressIfGZIP: by the 0x1f8b magic number. */
function decompressIfGzip(data: Buffer): Buffer {
  return data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
}

/**
 * userdata.go Provide + mime.go ParseMaybeMultipart: user data decoded (base64, gzip); a multipart message gives
 * its `application/node.eks.aws` parts in order, each decoded the same way (none: ErrNoConfigInUserData, which
 * chain.go tolerates); anything else must decode as one NodeConfig (bridge.ErrNodeConfigDecodingFailure is
 * tolerated too: a shell-script user data).
 */
async function userDataConfigs(raw: string | undefined, host: NodeadmHost): Promise<Doc[]> {
  if (raw === undefined) return [];
  const text = decompressIfGzip(decodeIfBase64(Buffer.from(raw, 'latin1'))).toString('utf8');
  const header = text.slice(0, text.search(/\r?\n\r?\n/) + 1);
  if (/^content-type:\s*multipart\//im.test(header)) {
    const email = await PostalMime.parse(text);
    const parts = email.attachments
      .filter((a) => a.mimeType.toLowerCase() === NODECONFIG_MEDIA_TYPE)
      .map((a) => {
        const bytes =
          typeof a.content === 'string' ? Buffer.from(a.content) : Buffer.from(new Uint8Array(a.content));
        return YAML.parse(decompressIfGzip(decodeIfBase64(bytes)).toString('utf8')) as Doc;
      });
    if (!parts.length)
      host.log('warn', 'Encountered error in config provider: could not find NodeConfig within UserData');
    return parts;
  }
  try {
    const doc = YAML.parse(text) as Doc;
    if (doc?.kind === 'NodeConfig') return [doc];
  } catch {
    // falls through: not a NodeConfig
  }
  host.log('warn', 'Encountered error in config provider: failed to decode NodeConfig');
  return [];
}

/**
 * nodeadm/internal/configprovider/file.go: a file is one config; a directory gives its *.yaml, *.yml, *.json files
 * in filename order (os.ReadDir), later ones overriding earlier, none tolerated; a path that does not exist is an
 * error.
 */
async function fileConfigs(path: string, host: NodeadmHost): Promise<Doc[]> {
  const names = await host.readDir(path);
  if (names === undefined) {
    const text = await host.readFile(path);
    if (text === undefined)
      throw new NodeadmError(`config provider failed: stat ${path}: no such file or directory`);
    return [YAML.parse(text) as Doc];
  }
  const wanted = names.filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
  const docs: Doc[] = [];
  for (const name of wanted) {
    const text = await host.readFile(`${path.replace(/\/$/, '')}/${name}`);
    try {
      docs.push(YAML.parse(text ?? '') as Doc);
    } catch (err) {
      throw new NodeadmError(`failed to parse config file ${name}: ${(err as Error).message}`);
    }
  }
  return docs;
}

/**
 * `nodeadm init --skip config --config-source imds://user-data --config-source file:///etc/eks/nodeadm.d/`:
 * the sources in order (chain.go: later wins), validated, then kubelet's config and flags
 * (nodeadm/internal/kubelet/config.go generateKubeletConfig / writeKubeletConfig, environment.go).
 */
export async function nodeadmRun(host: NodeadmHost, sources = NODEADM_RUN_SOURCES): Promise<NodeadmResult> {
  const configs: Doc[] = [];
  for (const source of sources) {
    if (source === 'imds://user-data')
      configs.push(...(await userDataConfigs(await host.imds('user-data'), host)));
    else if (source.startsWith('file://'))
      configs.push(...(await fileConfigs(source.slice('file://'.length), host)));
    else throw new NodeadmError(`unsupported scheme: ${source.split(':')[0]}`);
  }
  if (!configs.length) throw new NodeadmError('no config found in the chain');
  const config = configs.reduce((dst, src) => mergeNodeConfigs(dst, src));
  validateNodeConfig(config);
  // marker.go: the run phase creates the marker (warning first when cloud-init has not finished).
  if ((await host.readFile('/run/cloud-init/result.json')) === undefined)
    host.log(
      'warn',
      'cloud-init result file /run/cloud-init/result.json does not exist. Do not manually call nodeadm from user data',
    );
  await host.writeFile(RUN_MARKER, '');
  const spec = config.spec as Doc;
  const cluster = spec.cluster as Doc;
  const kubelet = (spec.kubelet ?? {}) as Doc;
  const instanceType = (await host.imds('meta-data/instance-type'))?.trim() ?? '';
  const nodeIp = (await host.imds('meta-data/local-ipv4'))?.trim() ?? '';
  const maxPods = standardMaxPods(instanceType);
  const kubeletConfig: Doc = {
    kind: 'KubeletConfiguration',
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    clusterDNS: [clusterDns(String(cluster.cidr))],
    maxPods,
    kubeReserved: { memory: `${11 * maxPods + 255}Mi` },
  };
  await host.writeFile('/etc/kubernetes/kubelet/config.json', JSON.stringify(kubeletConfig, null, 4));
  const flags = [
    `--node-ip=${nodeIp}`,
    '--cloud-provider=external',
    '--config=/etc/kubernetes/kubelet/config.json',
  ];
  const user = kubelet.config as Doc | undefined;
  let userKubeletConfig: Doc | undefined;
  if (user && Object.keys(user).length) {
    userKubeletConfig = { kind: kubeletConfig.kind, apiVersion: kubeletConfig.apiVersion, ...user };
    flags.push('--config-dir=/etc/kubernetes/kubelet/config.json.d');
    await host.writeFile(
      '/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf',
      JSON.stringify(userKubeletConfig, null, 4),
    );
  }
  // environment.go: nodeadm's own flags first, the user's appended "to give them precedence".
  const kubeletFlags = [...flags, ...((kubelet.flags as string[] | undefined) ?? [])];
  await host.writeFile('/etc/eks/kubelet/environment', `NODEADM_KUBELET_ARGS=${kubeletFlags.join(' ')}`);
  return { config, kubeletFlags, kubeletConfig, userKubeletConfig };
}

/**
 * What kubelet ends up with from a flag list (pflag: the last value of a scalar flag wins; --node-labels and
 * --register-with-taints accumulate across occurrences as kubelet's map/list flags do).
 */
export function effectiveKubeletFlags(flags: readonly string[]): {
  scalars: Record<string, string>;
  labels: Record<string, string>;
  taints: string[];
} {
  const scalars: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const taints: string[] = [];
  for (const f of flags) {
    const m = /^--([^=]+)=(.*)$/.exec(f);
    if (!m) continue;
    const [, name = '', value = ''] = m;
    if (name === 'node-labels')
      for (const kv of value.split(',').filter(Boolean)) {
        const [k = '', v = ''] = kv.split('=');
        labels[k] = v;
      }
    else if (name === 'register-with-taints') taints.push(...value.split(',').filter(Boolean));
    else scalars[name] = value;
  }
  return { scalars, labels, taints };
}
