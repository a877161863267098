// Discovery: the instance through IMDSv2, its subnets and candidate ENIs through EC2; preflight refusals.
import type { AgentConfig } from '../config/schema.ts';
import { type AgentError, ImdsError, PreflightError } from '../errors.ts';
import { isValidCidr } from '../model/ipv4.ts';
import { TAG_OWNER } from '../model/tags.ts';
import type { EniFacts, ImdsInterface, InstanceFacts, SubnetFacts } from '../model/types.ts';
import type { Ec2 } from '../ports/ec2.ts';
import type { Imds } from '../ports/imds.ts';

async function required(imds: Imds, path: string): Promise<string> {
  const v = await imds.get(path);
  if (v === undefined || v === '') throw new ImdsError(`IMDS has no ${path}`);
  return v.trim();
}

const lines = (text: string | undefined): string[] =>
  (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The fields of dynamic/instance-identity/document the agent reads. */
function identity(text: string): {
  instanceId: string;
  region: string;
  az: string;
  type: string;
  ip: string;
} {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ImdsError('IMDS dynamic/instance-identity/document is not JSON');
  }
  const field = (key: string) => {
    const v = doc[key];
    if (typeof v !== 'string' || !v) throw new ImdsError(`IMDS instance identity document has no ${key}`);
    return v;
  };
  return {
    instanceId: field('instanceId'),
    region: field('region'),
    az: field('availabilityZone'),
    type: field('instanceType'),
    ip: field('privateIp'),
  };
}

/**
 * The instance through IMDSv2 in two parallel rounds (one token serves all): the identity document, the primary
 * MAC, the outpost and the MAC list; then the primary's subnet and VPC CIDRs, and each other interface's device
 * number, id, subnet and addresses. A fresh instance (one interface) costs 7 reads and the token.
 */
export async function discoverInstance(imds: Imds): Promise<InstanceFacts> {
  const md = 'meta-data';
  const macsDir = `${md}/network/interfaces/macs`;
  const [doc, primaryMac, outpostArn, macList] = await Promise.all([
    required(imds, 'dynamic/instance-identity/document').then(identity),
    required(imds, `${md}/mac`).then((m) => m.toLowerCase()),
    imds.get(`${md}/outpost-arn`),
    required(imds, `${macsDir}/`),
  ]);
  const macs = lines(macList).map((m) => m.replace(/\/$/, '').toLowerCase());
  const others = macs.filter((m) => m !== primaryMac);
  const [primarySubnetId, vpcCidrs, interfaces] = await Promise.all([
    required(imds, `${macsDir}/${primaryMac}/subnet-id`),
    imds
      .get(`${macsDir}/${primaryMac}/vpc-ipv4-cidr-blocks`)
      .then((t) => lines(t).filter((c) => isValidCidr(c))),
    Promise.all(
      others.map(async (mac): Promise<ImdsInterface> => {
        const base = `${macsDir}/${mac}`;
        const [deviceNumber, interfaceId, subnetId, ips] = await Promise.all([
          required(imds, `${base}/device-number`),
          required(imds, `${base}/interface-id`),
          required(imds, `${base}/subnet-id`),
          imds.get(`${base}/local-ipv4s`),
        ]);
        return { mac, deviceNumber: Number(deviceNumber), interfaceId, subnetId, localIpv4s: lines(ips) };
      }),
    ),
  ]);
  return {
    instanceId: doc.instanceId,
    region: doc.region,
    availabilityZone: doc.az,
    instanceType: doc.type,
    outpostArn: outpostArn?.trim() || undefined,
    primaryMac,
    primaryIp: doc.ip,
    primarySubnetId,
    vpcCidrs: vpcCidrs.length ? vpcCidrs : undefined,
    interfaces: interfaces.sort((a, b) => a.deviceNumber - b.deviceNumber),
  };
}

/** What release needs from IMDS: the region and the Auto Scaling target lifecycle state (two reads). */
export async function discoverLifecycle(
  imds: Imds,
): Promise<{ region: string; targetLifecycleState?: string }> {
  const [region, state] = await Promise.all([
    required(imds, 'meta-data/placement/region'),
    imds.get('meta-data/autoscaling/target-lifecycle-state'),
  ]);
  return { region, targetLifecycleState: state?.trim() || undefined };
}

export interface Placement {
  instanceSubnet: SubnetFacts;
  lniSubnet: SubnetFacts;
  deviceIndex: number;
}

/** The instance's subnet and the LNI subnet, checked: on an outpost, LNI device index enabled and consistent. */
export async function discoverPlacement(
  config: AgentConfig,
  inst: InstanceFacts,
  ec2: Ec2,
): Promise<Placement> {
  const wantIds = [inst.primarySubnetId, ...(config.lni.subnetId ? [config.lni.subnetId] : [])];
  // EC2 answers InvalidSubnetID.NotFound for the whole call when one id is unknown: a typo in lni.subnetId
  // is the environment refusing, not an EC2 failure.
  const subnets = await ec2.describeSubnets({ subnetIds: [...new Set(wantIds)] }).catch((err: unknown) => {
    const missing = config.lni.subnetId;
    const e = err as AgentError;
    if (
      missing &&
      e.details?.code === 'InvalidSubnetID.NotFound' &&
      e.message.includes(missing) &&
      !e.message.includes(inst.primarySubnetId)
    )
      throw new PreflightError(
        `lni.subnetId ${missing} does not exist in ${inst.region}; set lni.subnetId to a subnet on this instance's outpost with an LNI device index, or leave it out to use the instance's subnet ${inst.primarySubnetId}`,
      );
    throw err;
  });
  const instanceSubnet = subnets.find((s) => s.subnetId === inst.primarySubnetId);
  if (!instanceSubnet)
    throw new PreflightError(`EC2 does not know the instance's subnet ${inst.primarySubnetId}`);

  if (config.preflight.requireOutpost) {
    if (!inst.outpostArn)
      throw new PreflightError(
        `instance ${inst.instanceId} is not on an outpost (IMDS meta-data/outpost-arn is absent); set preflight.requireOutpost=false only for testing`,
      );
    if (instanceSubnet.outpostArn !== inst.outpostArn)
      throw new PreflightError(
        `subnet ${instanceSubnet.subnetId} has OutpostArn ${instanceSubnet.outpostArn ?? '(none)'} but IMDS says ${inst.outpostArn}`,
      );
  }

  let lniSubnet: SubnetFacts | undefined;
  if (config.lni.subnetTags) {
    const found = await ec2.describeSubnets({ tags: config.lni.subnetTags, outpostArn: inst.outpostArn });
    const inAz = found.filter((s) => s.availabilityZone === inst.availabilityZone);
    if (inAz.length !== 1)
      throw new PreflightError(
        `lni.subnetTags ${JSON.stringify(config.lni.subnetTags)} match ${inAz.length} subnets on this outpost (${inAz.map((s) => s.subnetId).join(', ') || 'none'}); need exactly one`,
      );
    lniSubnet = inAz[0];
  } else {
    lniSubnet = subnets.find((s) => s.subnetId === (config.lni.subnetId ?? inst.primarySubnetId));
    if (!lniSubnet) throw new PreflightError(`lni.subnetId ${config.lni.subnetId} does not exist`);
  }
  if (!lniSubnet) throw new PreflightError('no LNI subnet');
  if (config.preflight.requireOutpost && lniSubnet.outpostArn !== inst.outpostArn)
    throw new PreflightError(
      `LNI subnet ${lniSubnet.subnetId} is not on this instance's outpost ${inst.outpostArn}`,
    );
  const subnetIndex = lniSubnet.enableLniAtDeviceIndex;
  if (!subnetIndex)
    throw new PreflightError(
      `subnet ${lniSubnet.subnetId} has no LNI device index; enable it with: aws ec2 modify-subnet-attribute --subnet-id ${lniSubnet.subnetId} --enable-lni-at-device-index 1`,
    );
  if (config.lni.deviceIndex !== undefined && config.lni.deviceIndex !== subnetIndex)
    throw new PreflightError(
      `lni.deviceIndex is ${config.lni.deviceIndex} but subnet ${lniSubnet.subnetId} makes LNIs at device index ${subnetIndex}; remove lni.deviceIndex or set it to ${subnetIndex}`,
    );
  return { instanceSubnet, lniSubnet, deviceIndex: subnetIndex };
}

/** ENIs tagged as owned by this instance (any status): needs nothing but the instance id. */
export function ownedEnis(inst: InstanceFacts, ec2: Ec2): Promise<EniFacts[]> {
  return ec2.describeNetworkInterfaces({ filters: { [`tag:${TAG_OWNER}`]: [inst.instanceId] } });
}

/** ENIs that matter for the LNI decision: those tagged as ours, plus whatever IMDS shows at the LNI index. */
export async function discoverEnis(
  inst: InstanceFacts,
  deviceIndex: number,
  ec2: Ec2,
  owned?: Promise<EniFacts[]>,
): Promise<EniFacts[]> {
  const mine = await (owned ?? ownedEnis(inst, ec2));
  const atIndex = inst.interfaces.find((i) => i.deviceNumber === deviceIndex);
  if (atIndex && !mine.some((e) => e.networkInterfaceId === atIndex.interfaceId))
    return [...mine, ...(await ec2.describeNetworkInterfaces({ ids: [atIndex.interfaceId] }))];
  return mine;
}
