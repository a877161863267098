// Tag rules of EC2 (key/value lengths, reserved `aws:` prefix, 50 per resource) and CreateTags/DeleteTags semantics.
import type { LabTag } from '../types.ts';
import { ec2Errors } from './errors.ts';

const MAX_TAGS = 50;

export function validateTags(tags: readonly LabTag[]): void {
  if (tags.length > MAX_TAGS) throw ec2Errors.tagLimitExceeded();
  for (const { key, value } of tags) {
    if (key.length === 0 || key.length > 128) {
      throw ec2Errors.invalidValue(`Tag key '${key}' must be 1 to 128 characters.`);
    }
    if (value.length > 256)
      throw ec2Errors.invalidValue(`Tag value for key '${key}' exceeds 256 characters.`);
    if (key.toLowerCase().startsWith('aws:')) {
      throw ec2Errors.invalidValue(`Tag keys starting with 'aws:' are reserved for internal use: '${key}'.`);
    }
  }
}

/** The tag list after CreateTags: new keys added, existing keys overwritten. */
export function mergedTags(current: readonly LabTag[], added: readonly LabTag[]): LabTag[] {
  const merged = new Map(current.map((t) => [t.key, t.value]));
  for (const tag of added) merged.set(tag.key, tag.value);
  if (merged.size > MAX_TAGS) throw ec2Errors.tagLimitExceeded();
  return [...merged].map(([key, value]) => ({ key, value }));
}

/** The tag list after DeleteTags: all tags without a list; a listed tag with a value goes only if the value matches. */
export function remainingTags(
  current: readonly LabTag[],
  deleted: readonly { key: string; value?: string }[] | undefined,
): LabTag[] {
  if (!deleted || deleted.length === 0) return [];
  return current.filter(
    (t) => !deleted.some((d) => d.key === t.key && (d.value === undefined || d.value === t.value)),
  );
}
