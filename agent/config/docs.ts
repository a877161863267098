// Walks the config schema to list every parameter with its default and doc (for `config --docs` and the README).
import { z } from 'zod';
import { configSchema } from './schema.ts';

export interface ParameterDoc {
  key: string;
  default?: string;
  doc: string;
}

function unwrap(t: z.ZodType): { inner: z.ZodType; def?: unknown } {
  let inner = t;
  let def: unknown;
  for (;;) {
    if (inner instanceof z.ZodDefault) {
      def = inner.def.defaultValue;
      inner = inner.def.innerType as z.ZodType;
    } else if (inner instanceof z.ZodPrefault) {
      def ??= inner.def.defaultValue;
      inner = inner.def.innerType as z.ZodType;
    } else if (inner instanceof z.ZodOptional) {
      inner = inner.def.innerType as z.ZodType;
    } else return { inner, def };
  }
}

function walk(t: z.ZodType, prefix: string, out: ParameterDoc[]): void {
  const { inner, def } = unwrap(t);
  if (inner instanceof z.ZodObject) {
    for (const [k, v] of Object.entries(inner.shape as Record<string, z.ZodType>))
      walk(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (inner instanceof z.ZodDiscriminatedUnion) {
    for (const option of inner.options as z.ZodObject[]) {
      const mode = (option.shape.mode as z.ZodLiteral).value;
      for (const [k, v] of Object.entries(option.shape as Record<string, z.ZodType>)) {
        if (k === 'mode') continue;
        walk(v, `${prefix}.${k} (mode ${String(mode)})`, out);
      }
    }
    const mode = (def as { mode?: string } | undefined)?.mode;
    out.push({ key: `${prefix}.mode`, default: mode && JSON.stringify(mode), doc: t.description ?? '' });
    return;
  }
  out.push({
    key: prefix,
    default: def === undefined ? undefined : JSON.stringify(def),
    doc: t.description ?? inner.description ?? '',
  });
}

export function describeParameters(): ParameterDoc[] {
  const out: ParameterDoc[] = [];
  walk(configSchema, '', out);
  return out;
}
