// The error code of an AWS SDK failure (EC2 Query errors carry `Code`, the others `name`), for either adapter.
export function errorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string };
  return e?.Code ?? e?.name;
}
