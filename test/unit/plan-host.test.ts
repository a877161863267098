// Host planning: the steps from what `ip -json` shows to the LNI configuration, and none when converged.
import { describe, expect, it } from 'vitest';
import { maskToPrefix, rangeOf } from '../../agent/model/ipv4.ts';
import { desiredHost, diffHost, undoHost, vlanName } from '../../agent/model/plan-host.ts';
import type { HostFacts } from '../../agent/model/types.ts';

const d = desiredHost({
  lniName: 'ens6',
  mtu: 1500,
  address: { address: '192.0.2.10', prefixLength: 24, gateway: '192.0.2.1', source: 'static' },
  table: 200,
  rulePriority: 2000,
  onPrem: ['198.51.100.0/24'],
  sysctls: { arpIgnore: 1, arpAnnounce: 2, rpFilter: 2 },
});

const fresh: HostFacts = {
  links: [{ ifindex: 3, name: 'ens6', mac: '02:aa:00:00:00:01', up: false, mtu: 9001 }],
  addresses: [{ ifname: 'ens6', address: '10.20.1.99', prefixLength: 24 }],
  rules: [
    { priority: 0, table: 'local' },
    { priority: 32766, table: 'main' },
  ],
  routes: [],
  sysctls: {
    'net/ipv4/conf/ens6/arp_ignore': '0',
    'net/ipv4/conf/ens6/arp_announce': '0',
    'net/ipv4/conf/ens6/rp_filter': '1',
  },
};

const converged: HostFacts = {
  links: [{ ifindex: 3, name: 'ens6', mac: '02:aa:00:00:00:01', up: true, mtu: 1500 }],
  addresses: [{ ifname: 'ens6', address: '192.0.2.10', prefixLength: 24 }],
  rules: [{ priority: 2000, from: '192.0.2.10', table: '200' }],
  routes: [
    { dst: '192.0.2.0/24', dev: 'ens6', table: '200', src: '192.0.2.10', scope: 'link' },
    { dst: 'default', gateway: '192.0.2.1', dev: 'ens6', table: '200' },
    { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'ens6', table: 'main' },
  ],
  sysctls: {
    'net/ipv4/conf/ens6/arp_ignore': '1',
    'net/ipv4/conf/ens6/arp_announce': '2',
    'net/ipv4/conf/ens6/rp_filter': '2',
  },
};

describe('diffHost', () => {
  it('configures a fresh LNI: sysctls first, the VPC address removed, table, rule and on-prem route', () => {
    const steps = diffHost(fresh, d);
    expect(steps.slice(0, 3).every((s) => s.kind === 'sysctl')).toBe(true);
    expect(steps).toContainEqual({ kind: 'addr-del', ifname: 'ens6', cidr: '10.20.1.99/24' });
    expect(steps).toContainEqual({ kind: 'addr-add', ifname: 'ens6', cidr: '192.0.2.10/24' });
    expect(steps).toContainEqual({ kind: 'link-mtu', ifname: 'ens6', mtu: 1500 });
    expect(steps).toContainEqual({ kind: 'rule-add', from: '192.0.2.10', table: 200, priority: 2000 });
    expect(steps).toContainEqual({
      kind: 'route-replace',
      dst: 'default',
      ifname: 'ens6',
      table: 200,
      gateway: '192.0.2.1',
      src: undefined,
    });
    expect(steps).toContainEqual({
      kind: 'route-replace',
      dst: '198.51.100.0/24',
      ifname: 'ens6',
      table: 'main',
      gateway: '192.0.2.1',
    });
    expect(steps.findIndex((s) => s.kind === 'link-up')).toBeGreaterThan(
      steps.findIndex((s) => s.kind === 'sysctl'),
    );
  });

  it('returns no step on a converged host', () => {
    expect(diffHost(converged, d)).toEqual([]);
  });

  it('replaces a stale rule left by an old address', () => {
    const stale = { ...converged, rules: [{ priority: 2000, from: '192.0.2.99', table: '200' }] };
    expect(diffHost(stale, d)).toEqual([
      { kind: 'rule-del', from: '192.0.2.99', table: '200', priority: 2000 },
      { kind: 'rule-add', from: '192.0.2.10', table: 200, priority: 2000 },
    ]);
  });

  it('puts the address on a VLAN sub-interface and sets sysctls on both', () => {
    const v = desiredHost({
      ...d,
      lniName: 'ens6',
      vlanId: 42,
      sysctls: { arpIgnore: 1, arpAnnounce: 2, rpFilter: 2 },
      address: d.address,
      onPrem: [],
    });
    expect(v.ifname).toBe('ens6.42');
    expect(Object.keys(v.sysctls)).toHaveLength(6);
    const steps = diffHost(converged, v);
    expect(steps).toContainEqual({ kind: 'vlan-add', parent: 'ens6', ifname: 'ens6.42', id: 42 });
    expect(steps).toContainEqual({ kind: 'addr-del', ifname: 'ens6', cidr: '192.0.2.10/24' });
    expect(steps).toContainEqual({ kind: 'addr-add', ifname: 'ens6.42', cidr: '192.0.2.10/24' });
    // The VLAN link exists before anything writes its sysctls (/proc/sys/net/ipv4/conf/ens6.42 appears with it);
    // the parent's are still written before any link comes up.
    const at = (pred: (x: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
    const vlanAdd = at((x) => x.kind === 'vlan-add');
    const vlanSysctls = steps.flatMap((x, i) =>
      x.kind === 'sysctl' && x.key.includes('/ens6.42/') ? [i] : [],
    );
    const parentSysctls = steps.flatMap((x, i) =>
      x.kind === 'sysctl' && x.key.includes('/ens6/') ? [i] : [],
    );
    expect(vlanSysctls).toHaveLength(3);
    for (const i of vlanSysctls) expect(i).toBeGreaterThan(vlanAdd);
    const firstUp = at((x) => x.kind === 'link-up');
    for (const i of [...parentSysctls, ...vlanSysctls])
      expect(i).toBeLessThan(firstUp === -1 ? Infinity : firstUp);
  });

  it('undoes exactly what it put in place', () => {
    const steps = undoHost(converged, d, { 'net/ipv4/conf/ens6/rp_filter': '1' });
    expect(steps.map((s) => s.kind)).toEqual([
      'rule-del',
      'route-del',
      'route-del',
      'route-del',
      'addr-del',
      'sysctl',
    ]);
  });
});

describe('ipv4 helpers', () => {
  it.each([
    ['255.255.255.0', 24],
    ['255.255.0.0', 16],
    ['255.255.255.252', 30],
    ['0.0.0.0', 0],
  ])('mask %s is /%i', (mask, prefix) => expect(maskToPrefix(mask)).toBe(prefix));
  it('rejects a non-contiguous mask', () => expect(() => maskToPrefix('255.0.255.0')).toThrow());
  it('ranges inclusively', () =>
    expect([...rangeOf('192.0.2.254', '192.0.3.1')]).toEqual([
      '192.0.2.254',
      '192.0.2.255',
      '192.0.3.0',
      '192.0.3.1',
    ]));
  it('keeps VLAN names within 15 characters', () => expect(vlanName('enP2p1s0f1np1', 4000)).toBe('lni.4000'));
});
