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

export async function discoverInstance(imds: Imds): Promise<InstanceFacts> {
  const md = 'meta-data';
  const [
    instanceId,
    region,
    availabilityZone,
    instanceType,
    primaryMac,
    primaryIp,
    outpostArn,
    lifecycle,
    macList,
  ] = await Promise.all([
    required(imds, `${md}/instance-id`),
    required(imds, `${md}/placement/region`),
    required(imds, `${md}/placement/availability-zone`),
    required(imds, `${md}/instance-type`),
    required(imds, `${md}/mac`),
    required(imds, `${md}/local-ipv4`),
    imds.get(`${md}/outpost-arn`),
    imds.get(`${md}/autoscaling/target-lifecycle-state`),
    required(imds, `${md}/network/interfaces/macs/`),
  ]);
  const macs = macList
    .split('\n')
    .map((m) => m.trim().replace(/\/$/, ''))
    .filter(Boolean);
  const interfaces = await Promise.all(
    macs.map(async (mac): Promise<ImdsInterface> => {
      const base = `${md}/network/interfaces/macs/${mac}`;
      const [deviceNumber, interfaceId, subnetId, ips] = await Promise.all([
        required(imds, `${base}/device-number`),
        required(imds, `${base}/interface-id`),
        required(imds, `${base}/subnet-id`),
        imds.get(`${base}/local-ipv4s`),
      ]);
      return {
        mac: mac.toLowerCase(),
        deviceNumber: Number(deviceNumber),
        interfaceId,
        subnetId,
        localIpv4s: (ips ?? '').split('\n').filter(Boolean),
      };
    }),
  );
  return {
    instanceId,
    region,
    availabilityZone,
    instanceType,
    outpostArn: outpostArn?.trim() || undefined,
    primaryMac: primaryMac.toLowerCase(),
    primaryIp,
    interfaces: interfaces.sort((a, b) => a.deviceNumber - b.deviceNumber),
    targetLifecycleState: lifecycle?.trim() || undefined,
  };
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
  const primary = inst.interfaces.find((i) => i.mac === inst.primaryMac) ?? inst.interfaces[0];
  if (!primary) throw new ImdsError('IMDS lists no network interfaces');
  const wantIds = [primary.subnetId, ...(config.lni.subnetId ? [config.lni.subnetId] : [])];
  // EC2 answers InvalidSubnetID.NotFound for the whole call when one id is unknown: a typo in lni.subnetId
  // is the environment refusing, not an EC2 failure.
  const subnets = await ec2.describeSubnets({ subnetIds: [...new Set(wantIds)] }).catch((err: unknown) => {
    const missing = config.lni.subnetId;
    const e = err as AgentError;
    if (
      missing &&
      e.details?.code === 'InvalidSubnetID.NotFound' &&
      e.message.includes(missing) &&
      !e.message.includes(primary.subnetId)
    )
      throw new PreflightError(
        `lni.subnetId ${missing} does not exist in ${inst.region}; set lni.subnetId to a subnet on this instance's outpost with an LNI device index, or leave it out to use the instance's subnet ${primary.subnetId}`,
      );
    throw err;
  });
  const instanceSubnet = subnets.find((s) => s.subnetId === primary.subnetId);
  if (!instanceSubnet)
    throw new PreflightError(`EC2 does not know the instance's subnet ${primary.subnetId}`);

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
    lniSubnet = subnets.find((s) => s.subnetId === (config.lni.subnetId ?? primary.subnetId));
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

/** The VPC's IPv4 CIDR blocks from IMDS (listed under eth0's MAC; pods get addresses from any of them), or undefined. */
export async function discoverVpcCidrs(imds: Imds, primaryMac: string): Promise<string[] | undefined> {
  const text = await imds.get(`meta-data/network/interfaces/macs/${primaryMac}/vpc-ipv4-cidr-blocks`);
  const cidrs = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => isValidCidr(l));
  return cidrs.length ? cidrs : undefined;
}
