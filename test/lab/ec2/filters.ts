// Describe* filters as EC2 applies them: values of one filter OR-ed, filters AND-ed, `*`/`?` wildcards, tag filters.
import type { LabTag } from '../types.ts';
import { ec2Errors } from './errors.ts';
import type { Ec2Filter } from './query-params.ts';

type FieldValue = string | number | boolean | undefined | readonly (string | undefined)[];

/** Per resource type: filter name → the value(s) a resource has for it. */
export type FilterFields<T> = Readonly<Record<string, (item: T) => FieldValue>>;

const globCache = new Map<string, RegExp>();

/** EC2 wildcards: `*` any run, `?` one character, `\` escapes the next character. */
export function globToRegExp(pattern: string): RegExp {
  const cached = globCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] ?? '');
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escapeRegExp(c);
  }
  const regExp = new RegExp(`^${source}$`, 's');
  globCache.set(pattern, regExp);
  return regExp;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function asStrings(value: FieldValue): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => v !== undefined);
  return [String(value)];
}

function tagFieldValues(tags: readonly LabTag[], name: string): string[] | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return tags.filter((t) => t.key === key).map((t) => t.value);
  }
  if (name === 'tag-key') return tags.map((t) => t.key);
  if (name === 'tag-value') return tags.map((t) => t.value);
  return undefined;
}

function tagsOf(item: object): readonly LabTag[] {
  return 'tags' in item && Array.isArray(item.tags) ? (item.tags as LabTag[]) : [];
}

const isTagFilter = (name: string): boolean =>
  name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value';

function valuesOf<T extends object>(item: T, name: string, fields: FilterFields<T>): string[] {
  const tagValues = tagFieldValues(tagsOf(item), name);
  if (tagValues) return tagValues;
  const field = fields[name];
  return field ? asStrings(field(item)) : [];
}

/** InvalidParameterValue for a filter name the resource type does not know. */
export function assertKnownFilters<T>(filters: readonly Ec2Filter[], fields: FilterFields<T>): void {
  for (const { name } of filters) {
    if (!isTagFilter(name) && !(name in fields))
      throw ec2Errors.invalidValue(`The filter '${name}' is invalid`);
  }
}

export function matchesFilters<T extends object>(
  item: T,
  filters: readonly Ec2Filter[],
  fields: FilterFields<T>,
): boolean {
  return filters.every((filter) => {
    const actual = valuesOf(item, filter.name, fields);
    return filter.values.some((pattern) => {
      const regExp = globToRegExp(pattern);
      return actual.some((value) => regExp.test(value));
    });
  });
}

export function applyFilters<T extends object>(
  items: readonly T[],
  filters: readonly Ec2Filter[],
  fields: FilterFields<T>,
): T[] {
  assertKnownFilters(filters, fields);
  return filters.length === 0 ? [...items] : items.filter((item) => matchesFilters(item, filters, fields));
}
