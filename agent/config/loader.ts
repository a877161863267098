// Loads the effective config from file, environment and flags (later overrides earlier) and validates it once.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { cidrContains, ipToInt, parseCidr } from '../model/ipv4.ts';
import { type AgentConfig, configSchema } from './schema.ts';

export const ENV_PREFIX = 'OUTPOSTS_NODE_AGENT__';
export const DEFAULT_CONFIG_FILE = '/etc/outposts-node-agent/config.yaml';

export interface ConfigSources {
  /** Path to a YAML/JSON file; the default file is optional, an explicit one must exist. */
  file?: string;
  explicitFile?: boolean;
  env?: Record<string, string | undefined>;
  /** `key.path=value` overrides from `--set`. */
  sets?: string[];
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) node[key] = value;
    else {
      if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
      node = node[key] as Tree;
    }
  }
}

/** Scalar text from env/flags is read as YAML so `1500`, `true` and `[a, b]` get their natural types. */
function scalar(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

export async function readConfigFile(path: string, mustExist: boolean): Promise<Tree> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([{ key: '--config', message: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text) ?? {};
  } catch (err) {
    throw new ConfigError([
      { key: '--config', message: `${path} is not valid YAML/JSON: ${(err as Error).message}` },
    ]);
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError([{ key: '--config', message: `${path} must hold a mapping`, value: parsed }]);
  return parsed as Tree;
}

export function mergeSources(base: Tree, env: Record<string, string | undefined>, sets: string[]): Tree {
  const tree: Tree = structuredClone(base);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    setPath(tree, name.slice(ENV_PREFIX.length).split('__').map(camel), scalar(value));
  }
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError([{ key: '--set', message: 'expected key.path=value', value: item }]);
    setPath(tree, item.slice(0, eq).split('.'), scalar(item.slice(eq + 1)));
  }
  return tree;
}

function valueAt(tree: unknown, path: PropertyKey[]): unknown {
  let node = tree;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function problemsOf(error: z.ZodError, input: unknown) {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({
        key: [...issue.path, k].join('.'),
        message: 'unknown key',
        value: valueAt(input, [...issue.path, k]),
      }));
    return [
      { key: issue.path.join('.') || '(root)', message: issue.message, value: valueAt(input, issue.path) },
    ];
  });
}

/** Rules that cross keys; the schema checks each key alone. */
function crossChecks(c: AgentConfig) {
  const problems: { key: string; message: string; value?: unknown }[] = [];
  const a = c.addressing;
  if (a.mode === 'static' && a.gateway) {
    const { address, prefixLength } = parseCidr(a.address);
    if (!cidrContains(`${address}/${prefixLength}`, a.gateway))
      problems.push({ key: 'addressing.gateway', message: `not inside ${a.address}`, value: a.gateway });
    if (address === a.gateway)
      problems.push({ key: 'addressing.address', message: 'equals the gateway', value: a.address });
  }
  if (a.mode === 'pool') {
    if (ipToInt(a.start) > ipToInt(a.end))
      problems.push({ key: 'addressing.end', message: `before start ${a.start}`, value: a.end });
    else if (!cidrContains(`${a.start}/${a.prefixLength}`, a.end))
      problems.push({
        key: 'addressing.end',
        message: `not in the same /${a.prefixLength} as start`,
        value: a.end,
      });
    if (a.gateway && !cidrContains(`${a.start}/${a.prefixLength}`, a.gateway))
      problems.push({
        key: 'addressing.gateway',
        message: `not inside ${a.start}/${a.prefixLength}`,
        value: a.gateway,
      });
  }
  if (c.routes.onPrem.length && !('gateway' in a && a.gateway) && a.mode !== 'dhcp')
    problems.push({ key: 'routes.onPrem', message: 'needs addressing.gateway', value: c.routes.onPrem });
  if (c.join.mode !== 'none' && !c.cluster.name)
    problems.push({ key: 'cluster.name', message: 'required unless join.mode is none' });
  if (c.lni.subnetId && c.lni.subnetTags)
    problems.push({ key: 'lni.subnetTags', message: 'give lni.subnetId or lni.subnetTags, not both' });
  return problems;
}

export function validateConfig(tree: unknown): AgentConfig {
  const result = configSchema.safeParse(tree);
  if (!result.success) throw new ConfigError(problemsOf(result.error, tree));
  const problems = crossChecks(result.data);
  if (problems.length) throw new ConfigError(problems);
  return result.data;
}

export async function loadConfig(sources: ConfigSources): Promise<AgentConfig> {
  const file = sources.file ?? DEFAULT_CONFIG_FILE;
  const base = await readConfigFile(file, Boolean(sources.explicitFile));
  return validateConfig(mergeSources(base, sources.env ?? {}, sources.sets ?? []));
}
