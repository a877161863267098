// ENI hot-plug for the lab: a veth with the ENI's MAC appears in (or leaves) a node namespace under a kernel-style name.
import type { HotPlug, LabEni, LabInstance } from '../types.ts';
import { ip, isGoneError, linkByMac } from './ip.ts';

/** How a node's kernel names a NIC at a device index (AMIs differ: `eth1`, `ens6`, ...). */
export type IfaceNaming = (deviceIndex: number) => string;

/** Classic naming: device index N is `ethN`. */
export const ethNaming: IfaceNaming = (deviceIndex) => `eth${deviceIndex}`;

/** Predictable naming as on Nitro instances: device index N is `ens<offset+N>` (ENA at PCI slot 5 + N). */
export function ensNaming(offset = 5): IfaceNaming {
  return (deviceIndex) => `ens${offset + deviceIndex}`;
}

/** Default per node number (1-based): odd nodes use `ethN`, even nodes `ens<5+N>`, so tests meet both. */
export function defaultNaming(nodeNumber: number): IfaceNaming {
  return nodeNumber % 2 === 1 ? ethNaming : ensNaming();
}

export interface HotPlugNode {
  instanceId: string;
  /** 1-based node number (peer names use it). */
  number: number;
  ns: string;
  naming: IfaceNaming;
}

/** Where a hot-plugged NIC's peer goes: the VPC bridge for a plain ENI, the LAN bridge for an LNI. */
export interface HotPlugSides {
  vpc: { ns: string; bridge: string };
  lan: { ns: string; bridge: string };
}

type HotPlugArgs = { instance: LabInstance; eni: LabEni; deviceIndex: number; isLni: boolean };

export interface HotPlugEvent {
  kind: 'attach' | 'detach';
  instanceId: string;
  eniId: string;
  mac: string;
  deviceIndex: number;
  isLni: boolean;
  /** Interface name in the node namespace (attach: the name given; detach: the name it had). */
  ifname?: string;
  /** attach: the kernel's name before udev renamed it (INTERFACE as udev's rules and RUN programs see it). */
  kernelName?: string;
  result: 'created' | 'already-present' | 'removed' | 'already-gone' | 'unknown-instance';
  at: number;
}

/**
 * HotPlug on real namespaces. `attach` creates a veth in the instance's node namespace with the ENI's MAC,
 * named by that node's naming scheme and left DOWN (the agent brings it up, as with a real hot-plugged NIC);
 * its peer is enslaved to the LAN bridge (LNI) or the VPC bridge (plain ENI) and set up. `detach` deletes the
 * interface found by MAC (the agent may have renamed it), which deletes both veth ends. Both are idempotent;
 * "already gone" is success. Events for instances without a lab node are recorded and otherwise ignored.
 */
export class NetnsHotPlug implements HotPlug {
  /** Every attach/detach handled, in order. */
  readonly events: HotPlugEvent[] = [];
  /**
   * Called after each handled event, as udev would run its rules for a new or removed NIC (the lab's stand-ins
   * for the node's udev-started programs subscribe here); not awaited by EC2, as udev is not.
   */
  readonly listeners = new Set<(ev: HotPlugEvent) => void>();
  /** Per instance: the name udev gives a new NIC by its MAC and kernel name (undefined: the kernel's name stays). */
  readonly udevNames = new Map<string, (mac: string, kernelName: string) => string | undefined>();
  readonly #nodes: Map<string, HotPlugNode>;
  readonly #sides: HotPlugSides;
  /** One queue per node so an attach and a detach for the same node never interleave. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(nodes: readonly HotPlugNode[], sides: HotPlugSides) {
    this.#nodes = new Map(nodes.map((n) => [n.instanceId, n]));
    this.#sides = sides;
  }

  /** The name a NIC at DEVICEINDEX gets on INSTANCEID's node. */
  ifnameFor(instanceId: string, deviceIndex: number): string {
    const node = this.#nodes.get(instanceId);
    if (!node) throw new Error(`no lab node for instance ${instanceId}`);
    return node.naming(deviceIndex);
  }

  attach(ev: HotPlugArgs): Promise<void> {
    return this.#run(ev, 'attach', async (node) => {
      const existing = await linkByMac(node.ns, ev.eni.macAddress);
      if (existing) return { result: 'already-present', ifname: existing.ifname };
      const kernelName = node.naming(ev.deviceIndex);
      const ifname = this.udevNames.get(node.instanceId)?.(ev.eni.macAddress, kernelName) ?? kernelName;
      const side = ev.isLni ? this.#sides.lan : this.#sides.vpc;
      const peer = `n${node.number}d${ev.deviceIndex}`;
      if (ifname.length > 15) throw new Error(`interface name ${ifname} is longer than 15 characters`);
      // The node end is created inside the node namespace and the peer directly in the side's namespace.
      await ip(
        `-n ${node.ns} link add name ${ifname} address ${ev.eni.macAddress} type veth peer name ${peer} netns ${side.ns}`,
      );
      try {
        await ip(`-n ${side.ns} link set dev ${peer} master ${side.bridge} up`);
      } catch (err) {
        await ip(`-n ${node.ns} link delete dev ${ifname}`).catch(() => undefined);
        throw err;
      }
      return { result: 'created', ifname, kernelName };
    });
  }

  detach(ev: HotPlugArgs): Promise<void> {
    return this.#run(ev, 'detach', async (node) => {
      const link = await linkByMac(node.ns, ev.eni.macAddress);
      if (!link) return { result: 'already-gone' };
      try {
        await ip(`-n ${node.ns} link delete dev ${link.ifname}`);
      } catch (err) {
        if (!isGoneError(err)) throw err;
        return { result: 'already-gone', ifname: link.ifname };
      }
      return { result: 'removed', ifname: link.ifname };
    });
  }

  #run(
    ev: HotPlugArgs,
    kind: HotPlugEvent['kind'],
    work: (node: HotPlugNode) => Promise<Pick<HotPlugEvent, 'result' | 'ifname' | 'kernelName'>>,
  ): Promise<void> {
    const id = ev.instance.instanceId;
    const record = (r: Pick<HotPlugEvent, 'result' | 'ifname' | 'kernelName'>) => {
      const event: HotPlugEvent = {
        kind,
        instanceId: id,
        eniId: ev.eni.networkInterfaceId,
        mac: ev.eni.macAddress,
        deviceIndex: ev.deviceIndex,
        isLni: ev.isLni,
        ...r,
        at: Date.now(),
      };
      this.events.push(event);
      for (const listener of this.listeners) listener(event);
    };
    const node = this.#nodes.get(id);
    if (!node) {
      record({ result: 'unknown-instance' });
      return Promise.resolve();
    }
    const next = (this.#queues.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        record(await work(node));
      });
    this.#queues.set(id, next);
    return next;
  }
}
