// An IAM identity-policy evaluator for the lab: the calls a node makes are allowed or denied by the policy it ships.
//
// Rules (IAM User Guide: "Policy evaluation logic", "IAM JSON policy elements: Condition operators", "Condition
// keys with multiple values", "Policy variables"; EC2 User Guide "Policy structure"):
// - default deny; an Allow statement that matches allows; any matching Deny statement wins over every Allow;
// - a request names one or more resources and every one of them must be allowed;
// - a statement matches when its Action (globs, case-insensitive) and Resource (globs, `${key}` variables from the
//   request context; a variable whose key is absent matches nothing) match and its Condition holds;
// - Condition: operators AND, keys under one operator AND, values of one key OR; a key absent from the context
//   makes the condition false, except for `Null`, the negated operators and `…IfExists` (true);
//   `ForAllValues:` is true when the key is absent or every context value matches some policy value,
//   `ForAnyValue:` is true when at least one context value matches.
// Only what the shipped policies use and its near neighbours are implemented; anything else is refused loudly,
// so a policy the lab does not understand fails the test instead of being read wrong.

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
  Version: string;
  Statement: Statement[];
}

/** Request context: single-valued keys are strings, multivalued ones (aws:TagKeys) arrays. */
export type Context = Record<string, string | string[] | undefined>;

export interface AuthzResource {
  arn: string;
  /** Keys of this resource (aws:ResourceTag/…, aws:RequestTag/… for one being created, ec2:CreateAction, …). */
  context?: Context;
}

export interface AuthzRequest {
  /** `service:Action`. */
  action: string;
  resources: AuthzResource[];
  /** Keys of the whole request (ec2:SourceInstanceARN, aws:TagKeys, …). */
  context?: Context;
}

export type Verdict =
  | { allowed: true }
  | { allowed: false; action: string; resource: string; explicitDeny: boolean; statement?: string };

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = pattern
    .replace(/[.+^$()|[\]\\{}]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'is' : 's').test(value);
}

/** `${key}` replaced from the context; undefined when a key is absent or multivalued. */
function substitute(pattern: string, ctx: Context): string | undefined {
  let missing = false;
  const out = pattern.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (key === '*' || key === '?' || key === '$') return key;
    const v = ctx[key];
    if (typeof v !== 'string') {
      missing = true;
      return '';
    }
    return v;
  });
  return missing ? undefined : out;
}

type Matcher = (policyValue: string, contextValue: string) => boolean;

const MATCHERS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (p, c) => p === c, negated: false },
  StringNotEquals: { match: (p, c) => p === c, negated: true },
  StringEqualsIgnoreCase: { match: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
  StringLike: { match: (p, c) => glob(p, c), negated: false },
  StringNotLike: { match: (p, c) => glob(p, c), negated: true },
  ArnEquals: { match: (p, c) => p === c, negated: false },
  ArnLike: { match: (p, c) => glob(p, c), negated: false },
  Bool: { match: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
};

function conditionHolds(operator: string, key: string, policyValues: string[], ctx: Context): boolean {
  if (operator === 'Null') {
    const absent = ctx[key] === undefined || (Array.isArray(ctx[key]) && list(ctx[key]).length === 0);
    return policyValues.some((v) => (v === 'true' ? absent : !absent));
  }
  const [set, base0] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  const ifExists = (base0 ?? '').endsWith('IfExists');
  const base = ifExists ? (base0 ?? '').slice(0, -'IfExists'.length) : (base0 ?? '');
  const m = MATCHERS[base];
  if (!m) throw new Error(`lab IAM: condition operator ${operator} is not implemented`);
  const values = list(ctx[key]);
  const pv = policyValues.map((p) => substitute(p, ctx)).filter((p): p is string => p !== undefined);
  const hit = (c: string) => pv.some((p) => m.match(p, c));
  if (set === 'ForAllValues') return values.every((c) => (m.negated ? !hit(c) : hit(c)));
  if (set === 'ForAnyValue') return values.some((c) => (m.negated ? !hit(c) : hit(c)));
  if (set !== undefined) throw new Error(`lab IAM: set operator ${set} is not implemented`);
  if (!values.length) return ifExists || m.negated;
  const [single] = values;
  return m.negated ? !hit(single as string) : hit(single as string);
}

function statementMatches(
  s: Statement,
  action: string,
  resource: AuthzResource,
  request: AuthzRequest,
): boolean {
  if (!list(s.Action).some((a) => glob(a, action, true))) return false;
  const ctx: Context = { ...request.context, ...resource.context };
  const resourceHit = list(s.Resource).some((r) => {
    const pattern = substitute(r, ctx);
    return pattern !== undefined && glob(pattern, resource.arn);
  });
  if (!resourceHit) return false;
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, v]) => conditionHolds(operator, key, list(v), ctx)),
  );
}

export function evaluate(policy: Policy, request: AuthzRequest): Verdict {
  for (const resource of request.resources) {
    const deny = policy.Statement.find(
      (s) => s.Effect === 'Deny' && statementMatches(s, request.action, resource, request),
    );
    if (deny)
      return {
        allowed: false,
        action: request.action,
        resource: resource.arn,
        explicitDeny: true,
        statement: deny.Sid,
      };
    if (
      !policy.Statement.some(
        (s) => s.Effect === 'Allow' && statementMatches(s, request.action, resource, request),
      )
    )
      return { allowed: false, action: request.action, resource: resource.arn, explicitDeny: false };
  }
  return { allowed: true };
}
