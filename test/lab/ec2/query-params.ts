// Reads Query API parameters (`Name.N`, `Name.N.Member`) out of the flat form the wire carries.
import type { LabTag } from '../types.ts';
import { ec2Errors } from './errors.ts';

export type QueryParams = Readonly<Record<string, string>>;

/** Parameters that sign or authenticate a request; the lab accepts any credentials and ignores these. */
const AUTH_PARAMS = new Set([
  'AWSAccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'Timestamp',
  'Expires',
  'SecurityToken',
]);

export function parseQuery(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) params[key] = value;
  return params;
}

/** The members below `prefix.` with the prefix removed. */
export function subParams(params: QueryParams, prefix: string): QueryParams {
  const result: Record<string, string> = {};
  const head = `${prefix}.`;
  for (const [key, value] of Object.entries(params)) {
    if (key.startsWith(head)) result[key.slice(head.length)] = value;
  }
  return result;
}

/** Indexes N present under `name.N` (or `name.N.*`), in ascending order. */
function listIndexes(params: QueryParams, name: string): number[] {
  const indexes = new Set<number>();
  const head = `${name}.`;
  for (const key of Object.keys(params)) {
    if (!key.startsWith(head)) continue;
    const index = key.slice(head.length).split('.')[0] ?? '';
    if (/^\d+$/.test(index)) indexes.add(Number(index));
  }
  return [...indexes].sort((a, b) => a - b);
}

/** A flattened list of strings: `name.1`, `name.2`, … */
export function listParam(params: QueryParams, name: string): string[] {
  return listIndexes(params, name).flatMap((i) => {
    const value = params[`${name}.${i}`];
    return value === undefined ? [] : [value];
  });
}

/** A flattened list of structures: `name.1.Member`, … → one member map per index. */
export function structListParam(params: QueryParams, name: string): QueryParams[] {
  return listIndexes(params, name).map((i) => subParams(params, `${name}.${i}`));
}

export function requireParam(params: QueryParams, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw ec2Errors.missingParameter(name);
  return value;
}

export function boolParam(params: QueryParams, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw ec2Errors.invalidValue(`Invalid value '${value}' for ${name}. Expected a boolean.`);
}

export function intParam(params: QueryParams, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw ec2Errors.invalidValue(`Invalid value '${value}' for ${name}. Expected an integer.`);
  return Number(value);
}

export function requireIntParam(params: QueryParams, name: string): number {
  const value = intParam(params, name);
  if (value === undefined) throw ec2Errors.missingParameter(name);
  return value;
}

/** `Tag.N.Key` / `Tag.N.Value` (Value may be absent; DeleteTags treats absent and empty differently). */
export function tagListParam(
  params: QueryParams,
  name: string,
): { key: string; value: string | undefined }[] {
  return structListParam(params, name).map((tag) => ({ key: tag.Key ?? '', value: tag.Value }));
}

export function tagsParam(params: QueryParams, name: string): LabTag[] {
  return tagListParam(params, name).map(({ key, value }) => ({ key, value: value ?? '' }));
}

export interface Ec2Filter {
  name: string;
  values: string[];
}

export function filtersParam(params: QueryParams): Ec2Filter[] {
  return structListParam(params, 'Filter').map((filter) => ({
    name: filter.Name ?? '',
    values: listParam(filter, 'Value'),
  }));
}

/** UnknownParameter (or the API's own error from `unknown`) for any parameter whose top-level name the action does not take. */
export function assertKnownParams(
  params: QueryParams,
  known: readonly string[],
  unknown: (name: string) => Error = ec2Errors.unknownParameter,
): void {
  for (const key of Object.keys(params)) {
    const root = key.split('.')[0] ?? key;
    if (known.includes(root) || AUTH_PARAMS.has(root) || root.startsWith('X-Amz-')) continue;
    throw unknown(key);
  }
}
