// The tags the agent puts on the LNI it owns (DESIGN.md section 5) and ownership tests on them.
export const TAG_OWNER = 'outposts-node-agent:owner-instance';
export const TAG_CLUSTER = 'outposts-node-agent:cluster';
/** When the agent created the ENI (EC2 reports no creation time); sweep's grace period counts from it. */
export const TAG_CREATED_AT = 'outposts-node-agent:created-at';
/** The VPC CNI leaves an ENI alone when this tag is "true" (amazon-vpc-cni-k8s pkg/ipamd). */
export const TAG_NO_MANAGE = 'node.k8s.amazonaws.com/no_manage';

export function lniTags(instanceId: string, cluster: string | undefined): Record<string, string> {
  return {
    [TAG_OWNER]: instanceId,
    ...(cluster ? { [TAG_CLUSTER]: cluster } : {}),
    [TAG_NO_MANAGE]: 'true',
    Name: `lni-${instanceId}`,
  };
}

/** Tags from `want` that `have` lacks or holds with another value. */
export function missingTags(
  have: Record<string, string>,
  want: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
}
