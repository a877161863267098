// The instance role every lab node's credentials belong to: its policy is the shipped packaging/iam/node-policy.json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AuthzRequest, Policy, Statement, Verdict } from './evaluate.ts';
import { evaluate } from './evaluate.ts';

export const NODE_POLICY_PATH = fileURLToPath(
  new URL('../../../packaging/iam/node-policy.json', import.meta.url),
);
export const NODE_ROLE_NAME = 'outposts-node-role';

export function loadNodePolicy(path = NODE_POLICY_PATH): Policy {
  return JSON.parse(readFileSync(path, 'utf8')) as Policy;
}

/**
 * The node role. A node's calls (signed with its instance's credentials: the caller is told by its address) are
 * evaluated against the policy, with `ec2:SourceInstanceARN` set to that instance; a test may add explicit denies
 * (an SCP or a permissions boundary would do the same on a real account). Calls from outside any node — the test
 * itself seeding the lab, as an administrator would — are not evaluated, but the explicit denies apply to them too.
 */
export class NodeRole {
  private policyValue: Policy;
  private readonly denies = new Set<string>();

  constructor(policy: Policy = loadNodePolicy()) {
    this.policyValue = policy;
  }

  get policy(): Policy {
    return this.policyValue;
  }

  setPolicy(policy: Policy): void {
    this.policyValue = policy;
  }

  /** An explicit Deny of `service:Action` on every resource, for every caller. */
  deny(action: string): void {
    this.denies.add(action);
  }

  allow(action: string): void {
    this.denies.delete(action);
  }

  /** STS's principal for a role session of an instance profile. */
  principal(accountId: string, instanceId: string): string {
    return `arn:aws:sts::${accountId}:assumed-role/${NODE_ROLE_NAME}/${instanceId}`;
  }

  /** The first denial among the requests, or allowed. `caller` undefined: an administrator (only the denies). */
  decide(requests: AuthzRequest[], caller?: { instanceArn: string; region: string }): Verdict {
    const denyStatements: Statement[] = [...this.denies].map((action) => ({
      Sid: `LabExplicitDeny${action.replace(/\W/g, '')}`,
      Effect: 'Deny',
      Action: action,
      Resource: '*',
    }));
    const policy: Policy = caller
      ? { ...this.policyValue, Statement: [...this.policyValue.Statement, ...denyStatements] }
      : {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, ...denyStatements],
        };
    for (const request of requests) {
      const verdict = evaluate(policy, {
        ...request,
        context: {
          ...request.context,
          ...(caller
            ? { 'ec2:SourceInstanceARN': caller.instanceArn, 'aws:RequestedRegion': caller.region }
            : {}),
        },
      });
      if (!verdict.allowed) return verdict;
    }
    return { allowed: true };
  }
}
