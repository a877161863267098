// Loads the effective config from file, environment and flags (later overrides earlier) and validates it once.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { cidrContains, ipToInt, parseCidr } from '../model/ipv4.ts';
import { describeParameters } from './docs.ts';
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

export interface ConfigProblem {
  key: string;
  message: string;
  value?: unknown;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};
const FORMAT: Record<string, string> = { url: 'a URL (https://…)', base64: 'base64 text' };

/** The keys a mapping at `path` takes (from the schema's own parameter list), for "unknown key" messages. */
function allowedKeys(path: PropertyKey[]): string[] {
  const prefix = path.length ? `${path.join('.')}.` : '';
  const keys = describeParameters()
    .map((p) => p.key.replace(/ \(mode \w+\)$/, ''))
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length).split('.')[0] ?? '');
  return [...new Set(keys)].filter(Boolean);
}

const quoted = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** What a schema issue means in the config's own words: the allowed values or form, never the library's. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${quoted(issue.values)}`;
    case 'invalid_union': {
      if ('discriminator' in issue && Array.isArray((issue as { options?: unknown[] }).options))
        return `must be one of ${quoted((issue as { options: unknown[] }).options)}`;
      const forms = issue.errors.flatMap((branch) =>
        branch.map((i) =>
          i.code === 'invalid_value'
            ? quoted(i.values)
            : i.code === 'invalid_type'
              ? (ARTICLE[i.expected] ?? i.expected)
              : '',
        ),
      );
      return `must be ${forms.filter(Boolean).join(' or ')}`;
    }
    case 'too_small':
      return issue.origin === 'number'
        ? `must be at least ${issue.minimum}`
        : `must have at least ${issue.minimum} character(s)`;
    case 'too_big':
      return issue.origin === 'number'
        ? `must be at most ${issue.maximum}`
        : `must have at most ${issue.maximum} character(s)`;
    case 'invalid_format':
      return `must be ${FORMAT[issue.format] ?? issue.format}`;
    default:
      return issue.message;
  }
}

function problemsOf(error: z.ZodError, input: unknown): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({
        key: [...issue.path, k].join('.'),
        message: `unknown key (allowed here: ${allowedKeys(issue.path).join(', ')})`,
        value: valueAt(input, [...issue.path, k]),
      }));
    return [
      {
        key: issue.path.join('.') || '(root)',
        message: describeIssue(issue),
        value: valueAt(input, issue.path),
      },
    ];
  });
}

/** Rules that cross keys; the schema checks each key alone. */
function crossChecks(c: AgentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
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

/** An `addressing:` section without `mode` takes the default mode, dhcp (its other keys are then dhcp's). */
function withDefaults(tree: unknown): unknown {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return tree;
  const addressing = (tree as Tree).addressing;
  if (
    typeof addressing === 'object' &&
    addressing !== null &&
    !Array.isArray(addressing) &&
    !('mode' in addressing)
  )
    return { ...(tree as Tree), addressing: { mode: 'dhcp', ...addressing } };
  return tree;
}

export function validateConfig(tree: unknown): AgentConfig {
  const { config, problems } = validateLenient(tree);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function deletePath(tree: Tree, path: PropertyKey[]): void {
  // An array element takes its whole list with it (the list then has its default).
  const cut = path.findIndex((k) => typeof k === 'number');
  const at = cut === -1 ? path : path.slice(0, cut);
  let node: unknown = tree;
  for (const key of at.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  const last = at.at(-1);
  if (last !== undefined && typeof node === 'object' && node !== null)
    delete (node as Record<PropertyKey, unknown>)[last];
}

/**
 * Every problem of the tree, and the config it gives when each bad key falls back to its default: what `diagnose`,
 * `release`, `status` and `config` work with when the file has a mistake (each names the problems; `up` refuses).
 */
export function validateLenient(input: unknown): { config: AgentConfig; problems: ConfigProblem[] } {
  let problems: ConfigProblem[] | undefined;
  const tree = structuredClone(withDefaults(input) ?? {}) as Tree;
  for (let round = 0; round < 20; round++) {
    const result = configSchema.safeParse(withDefaults(tree));
    // The problems are the input's own; later rounds (after dropping bad keys) only find the config to work with.
    if (result.success) return { config: result.data, problems: problems ?? crossChecks(result.data) };
    problems ??= problemsOf(result.error, tree);
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys')
        for (const k of issue.keys) deletePath(tree, [...issue.path, k]);
      else if (issue.path.length) deletePath(tree, issue.path);
      else return { config: configSchema.parse({}), problems };
    }
  }
  return { config: configSchema.parse({}), problems: problems ?? [] };
}

export async function loadConfigLenient(
  sources: ConfigSources,
): Promise<{ config: AgentConfig; problems: ConfigProblem[] }> {
  const file = sources.file ?? DEFAULT_CONFIG_FILE;
  const base = await readConfigFile(file, Boolean(sources.explicitFile));
  return validateLenient(mergeSources(base, sources.env ?? {}, sources.sets ?? []));
}

export async function loadConfig(sources: ConfigSources): Promise<AgentConfig> {
  const file = sources.file ?? DEFAULT_CONFIG_FILE;
  const base = await readConfigFile(file, Boolean(sources.explicitFile));
  return validateConfig(mergeSources(base, sources.env ?? {}, sources.sets ?? []));
}
