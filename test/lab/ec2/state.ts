// In-memory EC2 of the lab: instances, subnets, AMIs and ENIs with AWS's rules, delays and eventual consistency.

import { ec2Arn, ec2AuthzRequests } from '../iam/ec2-authz.ts';
import { NodeRole } from '../iam/node-role.ts';
import type {
  HotPlug,
  LabAttachment,
  LabEni,
  LabFixture,
  LabImage,
  LabInstance,
  LabInstanceState,
  LabSubnet,
  LabTag,
  LabTimings,
} from '../types.ts';
import { assertCanAttach, MAX_DEVICE_INDEX } from './attach-rules.ts';
import { ec2Errors } from './errors.ts';
import { applyFilters } from './filters.ts';
import { resolveFixture } from './fixture.ts';
import { assertWellFormedId, newId, newMac } from './ids.ts';
import { AddressPool } from './ipv4.ts';
import { type Page, paginate } from './paginate.ts';
import { PendingWork } from './pending-work.ts';
import type { Ec2Filter, QueryParams } from './query-params.ts';
import {
  eniFilterFields,
  imageFilterFields,
  instanceFilterFields,
  subnetFilterFields,
} from './resource-filters.ts';
import { mergedTags, remainingTags, validateTags } from './tags.ts';

export const DEFAULT_TIMINGS: LabTimings = {
  attachDelayMs: 400,
  detachDelayMs: 300,
  consistencyDelayMs: 300,
  baseLatencyMs: 0,
};

export interface Ec2StateOptions {
  fixture?: LabFixture;
  timings?: Partial<LabTimings>;
  hotPlug?: HotPlug;
  /** ms an instance stays `shutting-down` before it is `terminated` (default 500). */
  terminateDelayMs?: number;
  /** Where hot-plug failures and internal errors are reported (default: stderr). */
  log?: (message: string) => void;
}

export interface DescribeRequest {
  ids?: string[];
  filters?: Ec2Filter[];
  maxResults?: number;
  nextToken?: string;
}

export interface CreateEniRequest {
  subnetId: string;
  description?: string;
  privateIpAddress?: string;
  tags?: LabTag[];
  clientToken?: string;
}

export interface AttachRequest {
  networkInterfaceId: string;
  instanceId: string;
  deviceIndex: number;
}

export interface ModifyEniRequest {
  networkInterfaceId: string;
  attachment?: { attachmentId: string; deleteOnTermination: boolean };
  description?: string;
  sourceDestCheck?: boolean;
}

export interface ModifySubnetRequest {
  subnetId: string;
  enableLniAtDeviceIndex?: number;
  disableLniAtDeviceIndex?: boolean;
}

export interface InstanceStateChange {
  instanceId: string;
  previousState: LabInstanceState;
  currentState: LabInstanceState;
}

export interface HotPlugFailure {
  phase: 'attach' | 'detach';
  networkInterfaceId: string;
  instanceId: string;
  error: string;
}

/** Fields a seeded ENI may fix; everything else is filled in like CreateNetworkInterface would. */
export type EniSeed = Partial<LabEni> & {
  attachTo?: { instanceId: string; deviceIndex: number; deleteOnTermination?: boolean };
};

interface ClientTokenRecord {
  fingerprint: string;
  eni: LabEni;
}

/** Pre-existing resources count as created long ago, so they are visible from the start. */
const PREEXISTING_AGE_MS = 3_600_000;

export class Ec2State {
  readonly accountId: string;
  readonly region: string;
  private timingsValue: LabTimings;
  private readonly terminateDelayMs: number;
  private readonly log: (message: string) => void;
  private hotPlug: HotPlug | undefined;
  private readonly work: PendingWork;

  private readonly vpcs = new Map<string, { vpcId: string; cidrBlock: string }>();
  private readonly subnetMap = new Map<string, LabSubnet>();
  private readonly pools = new Map<string, AddressPool>();
  private readonly imageMap = new Map<string, LabImage>();
  private readonly instanceMap = new Map<string, LabInstance>();
  private readonly eniMap = new Map<string, LabEni>();
  private readonly macs = new Set<string>();
  private readonly clientTokens = new Map<string, ClientTokenRecord>();
  /** The node role's policy (the shipped one) and any explicit denies a test adds. */
  readonly iam = new NodeRole();
  private readonly failures: HotPlugFailure[] = [];
  private forcedMac: string | undefined;

  constructor(options: Ec2StateOptions = {}) {
    const fixture = resolveFixture(options.fixture);
    this.accountId = fixture.accountId;
    this.region = fixture.region;
    this.timingsValue = { ...DEFAULT_TIMINGS, ...options.timings };
    this.terminateDelayMs = options.terminateDelayMs ?? 500;
    this.log = options.log ?? ((message) => process.stderr.write(`[lab ec2] ${message}\n`));
    this.hotPlug = options.hotPlug;
    this.work = new PendingWork((error) => this.log(`internal error: ${String(error)}`));
    for (const vpc of fixture.vpcs) this.vpcs.set(vpc.vpcId, vpc);
    for (const subnet of fixture.subnets) this.addSubnet(subnet);
    for (const image of fixture.images) this.imageMap.set(image.imageId, image);
    for (const spec of fixture.instances) this.addInstance(spec);
    for (const spec of fixture.enis) this.seedEni(spec);
  }

  // ---- configuration -------------------------------------------------------------------------

  get timings(): Readonly<LabTimings> {
    return this.timingsValue;
  }

  setTimings(partial: Partial<LabTimings>): void {
    this.timingsValue = { ...this.timingsValue, ...partial };
  }

  /** Sets the hot-plug hook; with `replay`, announces the non-primary attachments that already exist. */
  async setHotPlug(hotPlug: HotPlug | undefined, options: { replay?: boolean } = {}): Promise<void> {
    this.hotPlug = hotPlug;
    if (!hotPlug || !options.replay) return;
    const live = this.allEnis().filter((eni) => eni.attachment && eni.attachment.deviceIndex > 0);
    await Promise.all(live.map((eni) => this.runHotPlug('attach', eni)));
  }

  /** Adds an explicit deny of ec2:`action` (dry-run or not, any caller): UnauthorizedOperation. */
  deny(action: string): void {
    this.iam.deny(`ec2:${action}`);
  }

  allow(action: string): void {
    this.iam.allow(`ec2:${action}`);
  }

  /**
   * The IAM and DryRun gate every call passes first: a node's call (`callerIp` is its eth0 address) is evaluated
   * against the node role's policy as EC2 would (resources and keys from ec2AuthzRequests); DryRun then answers
   * DryRunOperation instead of acting.
   */
  authorize(action: string, params: QueryParams, callerIp: string | undefined, dryRun: boolean): void {
    const instance = callerIp ? this.instances().find((i) => i.privateIpAddress === callerIp) : undefined;
    const verdict = this.iam.decide(
      ec2AuthzRequests(this, action, params),
      instance && { instanceArn: ec2Arn(this, 'instance', instance.instanceId), region: this.region },
    );
    if (!verdict.allowed)
      throw ec2Errors.unauthorized(verdict.action.replace(/^ec2:/, ''), {
        principal: instance && this.iam.principal(this.accountId, instance.instanceId),
        resource: verdict.resource === '*' ? undefined : verdict.resource,
        explicitDeny: verdict.explicitDeny,
      });
    if (dryRun) throw ec2Errors.dryRun();
  }

  /** The MAC the next new ENI gets (to test MAC reuse after an LNI is deleted). */
  setNextMac(mac: string): void {
    this.forcedMac = mac.toLowerCase();
  }

  /** Resolves when every pending transition (attach, detach, terminate, hot-plug) has finished. */
  settled(): Promise<void> {
    return this.work.settled();
  }

  /** Cancels pending transitions and timers; the state stays readable. */
  dispose(): void {
    this.work.dispose();
  }

  // ---- read helpers for tests, IMDS and the network side ---------------------------------------

  getInstance(instanceId: string): LabInstance | undefined {
    return this.instanceMap.get(instanceId);
  }

  instances(): LabInstance[] {
    return [...this.instanceMap.values()];
  }

  /** The instance whose primary private IP is `ip` (IPv4-mapped IPv6 accepted); live ones first. */
  instanceByIp(ip: string): LabInstance | undefined {
    const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const matches = this.instances().filter((i) => i.privateIpAddress === address);
    return matches.find((i) => i.state !== 'terminated') ?? matches[0];
  }

  getSubnet(subnetId: string): LabSubnet | undefined {
    return this.subnetMap.get(subnetId);
  }

  subnets(): LabSubnet[] {
    return [...this.subnetMap.values()];
  }

  getImage(imageId: string): LabImage | undefined {
    return this.imageMap.get(imageId);
  }

  getEni(networkInterfaceId: string): LabEni | undefined {
    return this.eniMap.get(networkInterfaceId);
  }

  allEnis(): LabEni[] {
    return [...this.eniMap.values()];
  }

  /** ENIs with an attachment (any status) to the instance, by device index. */
  enisOfInstance(instanceId: string): LabEni[] {
    return this.allEnis()
      .filter((eni) => eni.attachment?.instanceId === instanceId)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  vpcCidrOf(vpcId: string): string | undefined {
    return this.vpcs.get(vpcId)?.cidrBlock;
  }

  availableIpCount(subnetId: string): number {
    return this.pools.get(subnetId)?.availableCount ?? 0;
  }

  /** Whether an attachment of this ENI at `deviceIndex` is (or would be) an LNI. */
  isLni(eni: LabEni, deviceIndex = eni.attachment?.deviceIndex): boolean {
    const lniIndex = this.subnetMap.get(eni.subnetId)?.enableLniAtDeviceIndex;
    return lniIndex !== undefined && lniIndex === deviceIndex;
  }

  hotPlugFailures(): readonly HotPlugFailure[] {
    return this.failures;
  }

  setTargetLifecycleState(instanceId: string, state: string | undefined): void {
    this.requireInstance(instanceId).targetLifecycleState = state;
  }

  terminateInstance(instanceId: string): InstanceStateChange {
    return this.terminateInstances([instanceId])[0] as InstanceStateChange;
  }

  /** Bulk-creates `count` ENIs visible at once (for sweep/pagination tests with thousands of ENIs). */
  seedEnis(count: number, template: EniSeed = {}): LabEni[] {
    return Array.from({ length: count }, () =>
      this.seedEni({ ...template, tags: [...(template.tags ?? [])] }),
    );
  }

  // ---- instances -------------------------------------------------------------------------------

  describeInstances(request: DescribeRequest = {}): Page<LabInstance> {
    const ids = request.ids ?? [];
    const base = ids.length > 0 ? this.requireInstances(ids) : this.instances();
    const fields = instanceFilterFields({
      vpcIdOf: (i) => this.subnetMap.get(i.subnetId)?.vpcId,
      enisOf: (i) => this.enisOfInstance(i.instanceId),
    });
    const matching = applyFilters(base, request.filters ?? [], fields);
    return paginate(matching, (i) => i.instanceId, {
      ...request,
      idCount: ids.length,
      idParam: 'InstanceId',
    });
  }

  terminateInstances(instanceIds: readonly string[]): InstanceStateChange[] {
    return this.requireInstances(instanceIds).map((instance) => {
      const previousState = instance.state;
      if (previousState !== 'terminated' && previousState !== 'shutting-down') {
        instance.state = 'shutting-down';
        this.work.schedule([this.work.delay(this.terminateDelayMs)], () => this.finishTermination(instance));
      }
      return { instanceId: instance.instanceId, previousState, currentState: instance.state };
    });
  }

  private finishTermination(instance: LabInstance): void {
    instance.state = 'terminated';
    for (const eni of this.enisOfInstance(instance.instanceId)) {
      const attachment = eni.attachment;
      if (!attachment) continue;
      if (attachment.deviceIndex > 0) void this.runHotPlug('detach', eni);
      if (attachment.deleteOnTermination) this.removeEni(eni);
      else this.clearAttachment(eni);
    }
  }

  private requireInstances(ids: readonly string[]): LabInstance[] {
    for (const id of ids) assertWellFormedId('i', id);
    const missing = ids.filter((id) => !this.instanceMap.has(id));
    if (missing.length > 0) throw ec2Errors.instanceNotFound(missing);
    return ids.map((id) => this.instanceMap.get(id) as LabInstance);
  }

  private requireInstance(id: string): LabInstance {
    return this.requireInstances([id])[0] as LabInstance;
  }

  private addInstance(spec: ReturnType<typeof resolveFixture>['instances'][number]): void {
    const subnet = this.requireSubnet(spec.subnetId);
    const primary = this.buildEni(subnet, {
      privateIpAddress: spec.privateIpAddress,
      createdAt: this.preexisting(),
    });
    const instance: LabInstance = { ...spec, privateIpAddress: primary.privateIpAddress };
    this.instanceMap.set(instance.instanceId, instance);
    primary.status = 'in-use';
    primary.attachment = {
      attachmentId: newId('eni-attach'),
      instanceId: instance.instanceId,
      deviceIndex: 0,
      status: 'attached',
      attachTime: instance.launchTime,
      deleteOnTermination: true,
    };
    this.eniMap.set(primary.networkInterfaceId, primary);
  }

  // ---- subnets and images ----------------------------------------------------------------------

  describeSubnets(request: DescribeRequest = {}): Page<LabSubnet> {
    const ids = request.ids ?? [];
    const base = ids.length > 0 ? ids.map((id) => this.requireSubnet(id)) : this.subnets();
    const matching = applyFilters(base, request.filters ?? [], subnetFilterFields);
    return paginate(matching, (s) => s.subnetId, { ...request, idCount: ids.length, idParam: 'SubnetId' });
  }

  modifySubnetAttribute(request: ModifySubnetRequest): void {
    const subnet = this.requireSubnet(request.subnetId);
    const { enableLniAtDeviceIndex: enable, disableLniAtDeviceIndex: disable } = request;
    if (enable !== undefined && disable !== undefined) {
      throw ec2Errors.invalidCombination('You can only modify one attribute at a time.');
    }
    if (enable === undefined && disable === undefined) {
      throw ec2Errors.unsupported(
        "The lab's ModifySubnetAttribute supports only EnableLniAtDeviceIndex and DisableLniAtDeviceIndex.",
      );
    }
    if (enable !== undefined) {
      if (!subnet.outpostArn) {
        throw ec2Errors.invalidValue(
          `Subnet '${subnet.subnetId}' is not on an Outpost; EnableLniAtDeviceIndex applies to Outpost subnets only.`,
        );
      }
      if (enable < 1 || enable > MAX_DEVICE_INDEX) {
        throw ec2Errors.invalidValue(`Invalid value '${enable}' for EnableLniAtDeviceIndex.`);
      }
      subnet.enableLniAtDeviceIndex = enable;
    } else if (disable) {
      subnet.enableLniAtDeviceIndex = undefined;
    }
  }

  describeImages(request: Omit<DescribeRequest, 'maxResults' | 'nextToken'> = {}): LabImage[] {
    const ids = request.ids ?? [];
    for (const id of ids) assertWellFormedId('ami', id);
    const missing = ids.filter((id) => !this.imageMap.has(id));
    if (missing.length > 0) throw ec2Errors.imageNotFound(missing);
    const base =
      ids.length > 0 ? ids.map((id) => this.imageMap.get(id) as LabImage) : [...this.imageMap.values()];
    return applyFilters(base, request.filters ?? [], imageFilterFields);
  }

  private requireSubnet(subnetId: string): LabSubnet {
    assertWellFormedId('subnet', subnetId);
    const subnet = this.subnetMap.get(subnetId);
    if (!subnet) throw ec2Errors.subnetNotFound(subnetId);
    return subnet;
  }

  private addSubnet(subnet: LabSubnet): void {
    this.subnetMap.set(subnet.subnetId, subnet);
    this.pools.set(subnet.subnetId, new AddressPool(subnet.cidrBlock));
  }

  // ---- network interfaces ----------------------------------------------------------------------

  /** Returns the ENI and the client token; a repeated token with the same parameters returns the same ENI. */
  createNetworkInterface(request: CreateEniRequest): { eni: LabEni; clientToken?: string } {
    const fingerprint = JSON.stringify([
      request.subnetId,
      request.description ?? '',
      request.privateIpAddress,
      request.tags ?? [],
    ]);
    const token = request.clientToken;
    const previous = token === undefined ? undefined : this.clientTokens.get(token);
    if (previous) {
      if (previous.fingerprint !== fingerprint) throw ec2Errors.idempotentMismatch();
      return { eni: this.eniMap.get(previous.eni.networkInterfaceId) ?? previous.eni, clientToken: token };
    }
    const subnet = this.requireSubnet(request.subnetId);
    validateTags(request.tags ?? []);
    if (request.privateIpAddress !== undefined) this.assertAddressFree(subnet, request.privateIpAddress);
    const eni = this.buildEni(subnet, {
      privateIpAddress: request.privateIpAddress,
      description: request.description,
      tags: request.tags,
      createdAt: Date.now(),
    });
    this.eniMap.set(eni.networkInterfaceId, eni);
    if (token !== undefined) this.clientTokens.set(token, { fingerprint, eni });
    return { eni, clientToken: token };
  }

  describeNetworkInterfaces(request: DescribeRequest = {}): Page<LabEni> {
    const ids = request.ids ?? [];
    const base =
      ids.length > 0 ? ids.map((id) => this.visibleEni(id)) : this.allEnis().filter((e) => this.isVisible(e));
    const matching = applyFilters(base, request.filters ?? [], eniFilterFields);
    return paginate(matching, (e) => e.networkInterfaceId, {
      ...request,
      idCount: ids.length,
      idParam: 'NetworkInterfaceId',
    });
  }

  attachNetworkInterface(request: AttachRequest): { attachmentId: string } {
    const eni = this.visibleEni(request.networkInterfaceId);
    const instance = this.requireInstance(request.instanceId);
    const { deviceIndex } = request;
    assertCanAttach({
      eni,
      instance,
      deviceIndex,
      attached: this.enisOfInstance(instance.instanceId),
      isLni: (other, index) => this.isLni(other, index),
    });
    const attachment: LabAttachment = {
      attachmentId: newId('eni-attach'),
      instanceId: instance.instanceId,
      deviceIndex,
      status: 'attaching',
      attachTime: new Date().toISOString(),
      deleteOnTermination: false,
    };
    eni.attachment = attachment;
    eni.status = 'in-use';
    const plugged = this.runHotPlug('attach', eni);
    this.work.schedule([plugged, this.work.delay(this.timingsValue.attachDelayMs)], () => {
      if (eni.attachment === attachment && attachment.status === 'attaching') attachment.status = 'attached';
    });
    return { attachmentId: attachment.attachmentId };
  }

  detachNetworkInterface(request: { attachmentId: string; force?: boolean }): void {
    assertWellFormedId('eni-attach', request.attachmentId);
    const eni = this.allEnis().find((e) => e.attachment?.attachmentId === request.attachmentId);
    const attachment = eni?.attachment;
    if (!eni || !attachment) throw ec2Errors.attachmentNotFound(request.attachmentId);
    if (attachment.deviceIndex === 0) {
      throw ec2Errors.operationNotPermitted(
        'The network interface at device index 0 and networkCard index 0 cannot be detached.',
      );
    }
    if (attachment.status === 'detaching') return;
    attachment.status = 'detaching';
    const unplugged = this.runHotPlug('detach', eni);
    this.work.schedule([unplugged, this.work.delay(this.timingsValue.detachDelayMs)], () => {
      if (eni.attachment === attachment) this.clearAttachment(eni);
    });
  }

  modifyNetworkInterfaceAttribute(request: ModifyEniRequest): void {
    const eni = this.visibleEni(request.networkInterfaceId);
    const { attachment, description, sourceDestCheck } = request;
    const given = [attachment, description, sourceDestCheck].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw given === 0
        ? ec2Errors.missingParameter('Attachment, Description or SourceDestCheck')
        : ec2Errors.invalidCombination('You can only modify one attribute at a time.');
    }
    if (attachment) {
      if (eni.attachment?.attachmentId !== attachment.attachmentId) {
        throw ec2Errors.attachmentNotFound(attachment.attachmentId);
      }
      eni.attachment.deleteOnTermination = attachment.deleteOnTermination;
    }
    if (description !== undefined) eni.description = description;
    if (sourceDestCheck !== undefined) eni.sourceDestCheck = sourceDestCheck;
  }

  deleteNetworkInterface(networkInterfaceId: string): void {
    const eni = this.visibleEni(networkInterfaceId);
    if (eni.attachment) throw ec2Errors.eniCurrentlyInUse(networkInterfaceId);
    this.removeEni(eni);
  }

  // ---- tags ----------------------------------------------------------------------------------

  createTags(resourceIds: readonly string[], tags: readonly LabTag[]): void {
    validateTags(tags);
    const targets = resourceIds.map((id) => this.taggable(id));
    const updates = targets.map((target) => [target.tags, mergedTags(target.tags, tags)] as const);
    for (const [current, merged] of updates) current.splice(0, current.length, ...merged);
  }

  /** Without tags, deletes all; a tag with a value deletes only on a matching value (as EC2 does). */
  deleteTags(resourceIds: readonly string[], tags?: readonly { key: string; value?: string }[]): void {
    for (const target of resourceIds.map((id) => this.taggable(id))) {
      target.tags.splice(0, target.tags.length, ...remainingTags(target.tags, tags));
    }
  }

  private taggable(resourceId: string): { tags: LabTag[] } {
    if (resourceId.startsWith('eni-')) return this.visibleEni(resourceId);
    if (resourceId.startsWith('i-')) return this.requireInstance(resourceId);
    if (resourceId.startsWith('subnet-')) return this.requireSubnet(resourceId);
    throw ec2Errors.invalidId(resourceId);
  }

  // ---- ENI internals ---------------------------------------------------------------------------

  private preexisting(): number {
    return Date.now() - PREEXISTING_AGE_MS;
  }

  private isVisible(eni: LabEni): boolean {
    return Date.now() >= eni.createdAt + this.timingsValue.consistencyDelayMs;
  }

  /** The ENI if it exists and has become visible; NotFound otherwise (also during the consistency window). */
  private visibleEni(networkInterfaceId: string): LabEni {
    assertWellFormedId('eni', networkInterfaceId);
    const eni = this.eniMap.get(networkInterfaceId);
    if (!eni || !this.isVisible(eni)) throw ec2Errors.eniNotFound(networkInterfaceId);
    return eni;
  }

  private assertAddressFree(subnet: LabSubnet, ip: string): void {
    const pool = this.pools.get(subnet.subnetId);
    if (!pool?.isAssignable(ip)) {
      throw ec2Errors.invalidValue(`Address ${ip} does not fall within the subnet's address range`);
    }
    if (pool.isUsed(ip)) throw ec2Errors.addressInUse();
  }

  private buildEni(
    subnet: LabSubnet,
    spec: Partial<Omit<LabEni, 'privateIpAddress'>> & { privateIpAddress?: string; createdAt: number },
  ): LabEni {
    const pool = this.pools.get(subnet.subnetId);
    const privateIpAddress = spec.privateIpAddress ?? pool?.allocate();
    if (!pool || privateIpAddress === undefined) throw ec2Errors.subnetFull(subnet.subnetId);
    if (spec.privateIpAddress !== undefined && !pool.claim(spec.privateIpAddress))
      throw ec2Errors.addressInUse();
    const macAddress = spec.macAddress ?? this.forcedMac ?? newMac(this.macs);
    this.forcedMac = undefined;
    this.macs.add(macAddress);
    return {
      networkInterfaceId: spec.networkInterfaceId ?? newId('eni'),
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      macAddress,
      privateIpAddress,
      description: spec.description ?? '',
      status: 'available',
      interfaceType: 'interface',
      ownerId: spec.ownerId ?? this.accountId,
      requesterManaged: spec.requesterManaged ?? false,
      sourceDestCheck: spec.sourceDestCheck ?? true,
      tags: spec.tags ? spec.tags.map((t) => ({ ...t })) : [],
      createdAt: spec.createdAt,
    };
  }

  private seedEni(seed: EniSeed): LabEni {
    const { attachTo, attachment: _ignored, ...spec } = seed;
    const subnet = this.requireSubnet(spec.subnetId ?? this.subnets()[0]?.subnetId ?? '');
    const eni = this.buildEni(subnet, { ...spec, createdAt: spec.createdAt ?? this.preexisting() });
    this.eniMap.set(eni.networkInterfaceId, eni);
    if (attachTo) {
      const instance = this.requireInstance(attachTo.instanceId);
      if (
        this.enisOfInstance(instance.instanceId).some(
          (e) => e.attachment?.deviceIndex === attachTo.deviceIndex,
        )
      ) {
        throw new Error(
          `seeded ENI: ${instance.instanceId} already has an interface at ${attachTo.deviceIndex}`,
        );
      }
      eni.status = 'in-use';
      eni.attachment = {
        attachmentId: newId('eni-attach'),
        instanceId: instance.instanceId,
        deviceIndex: attachTo.deviceIndex,
        status: 'attached',
        attachTime: new Date(eni.createdAt).toISOString(),
        deleteOnTermination: attachTo.deleteOnTermination ?? false,
      };
    }
    return eni;
  }

  private clearAttachment(eni: LabEni): void {
    eni.attachment = undefined;
    eni.status = 'available';
  }

  private removeEni(eni: LabEni): void {
    this.eniMap.delete(eni.networkInterfaceId);
    this.pools.get(eni.subnetId)?.release(eni.privateIpAddress);
    this.macs.delete(eni.macAddress);
  }

  /** Calls the hot-plug hook; a failure is recorded and logged, never thrown (the API keeps behaving). */
  private runHotPlug(phase: 'attach' | 'detach', eni: LabEni): Promise<void> {
    const attachment = eni.attachment;
    const instance = attachment && this.instanceMap.get(attachment.instanceId);
    if (!this.hotPlug || !attachment || !instance) return Promise.resolve();
    const event = { instance, eni, deviceIndex: attachment.deviceIndex, isLni: this.isLni(eni) };
    const hotPlug = this.hotPlug;
    const call = Promise.resolve().then(() =>
      phase === 'attach' ? hotPlug.attach(event) : hotPlug.detach(event),
    );
    return this.work.track(
      call.catch((error: unknown) => {
        const failure = {
          phase,
          networkInterfaceId: eni.networkInterfaceId,
          instanceId: instance.instanceId,
          error: error instanceof Error ? error.message : String(error),
        };
        this.failures.push(failure);
        this.log(
          `hot-plug ${phase} of ${failure.networkInterfaceId} on ${failure.instanceId} failed: ${failure.error}`,
        );
      }),
    );
  }
}
