// Pure parts of diagnose: kubelet flag sources, the host checks from the host diff, route checks, the text table.
import { describe, expect, it } from 'vitest';
import { type CheckResult, type DiagnoseReport, kebab, summarize } from '../../agent/model/checks.ts';
import {
  BEYOND_LAN_PROBE,
  defaultRouteCheck,
  hostChecks,
  podSnatCheck,
  replyRouteCheck,
  replyTargets,
} from '../../agent/model/checks-host.ts';
import { renderReport } from '../../agent/model/checks-render.ts';
import { environmentAssignments, kubeletSettings, splitArgs } from '../../agent/model/kubelet-flags.ts';
import { desiredHost, tableRoutes } from '../../agent/model/plan-host.ts';
import { desiredSnat, diffSnat, SNAT_CHAIN, type SnatFacts } from '../../agent/model/plan-snat.ts';
import type { HostFacts } from '../../agent/model/types.ts';

describe('kubelet flags', () => {
  it('reads nodeadm environment files and bootstrap.sh drop-ins', () => {
    expect(
      environmentAssignments(
        'NODEADM_KUBELET_ARGS=--node-ip=10.0.0.5 --v=2\nKUBELET_CONFIG_DROPIN_DIR_ALPHA=on\n',
      ),
    ).toEqual({ NODEADM_KUBELET_ARGS: '--node-ip=10.0.0.5 --v=2', KUBELET_CONFIG_DROPIN_DIR_ALPHA: 'on' });
    expect(
      environmentAssignments(
        '[Service]\nEnvironment=\'KUBELET_EXTRA_ARGS=--node-labels=a=b,c=d --register-with-taints="x=y:NoSchedule"\'\n',
      ),
    ).toEqual({ KUBELET_EXTRA_ARGS: '--node-labels=a=b,c=d --register-with-taints="x=y:NoSchedule"' });
    expect(splitArgs('--a=1  --b="two words" --c')).toEqual(['--a=1', '--b=two words', '--c']);
  });

  it.each([
    [['--node-ip=10.0.0.5'], { nodeIp: '10.0.0.5', labels: {} }],
    [['--node-ip', '10.0.0.5', '--v=2'], { nodeIp: '10.0.0.5', labels: {} }],
    [['--node-ip=10.0.0.5', '--node-ip=10.0.0.6'], { nodeIp: '10.0.0.6', labels: {} }],
    [['--node-labels=a=1,b=2', '--node-labels=c=3'], { labels: { a: '1', b: '2', c: '3' } }],
    [['/usr/bin/kubelet', '--config', '/etc/kubernetes/kubelet/config.json'], { labels: {} }],
  ])('kubeletSettings(%j)', (argv, want) => {
    expect(kubeletSettings(argv)).toEqual(want);
  });
});

describe('host checks', () => {
  const d = desiredHost({
    lniName: 'ens6',
    mtu: 1500,
    address: { address: '192.0.2.12', prefixLength: 24, gateway: '192.0.2.1', source: 'static' },
    table: 200,
    rulePriority: 2000,
    onPrem: ['198.51.100.0/24'],
    sysctls: { arpIgnore: 1, arpAnnounce: 2, rpFilter: 2 },
  });
  /** What the host looks like once `up` converged it. */
  const converged = (): HostFacts => ({
    links: [{ ifindex: 3, name: 'ens6', mac: '02:00:00:00:00:01', up: true, mtu: 1500 }],
    addresses: [{ ifname: 'ens6', address: '192.0.2.12', prefixLength: 24 }],
    rules: [{ priority: 2000, from: '192.0.2.12', table: '200' }],
    routes: [
      ...tableRoutes(d).map((r) => ({ ...r, dev: 'ens6', table: '200' })),
      { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'ens6', table: 'main' },
      { dst: 'default', gateway: '10.20.1.1', dev: 'eth0', table: 'main' },
    ],
    sysctls: { ...d.sysctls },
  });

  it('passes all six on a converged host', () => {
    const all = hostChecks(converged(), d);
    expect(Object.values(all).map((c) => c.status)).toEqual(Array(6).fill('pass'));
  });

  it.each([
    [
      'routing.rule',
      (h: HostFacts): unknown => h.rules.splice(0),
      /ip rule add from 192\.0\.2\.12 lookup 200/,
    ],
    ['routing.table', (h: HostFacts): unknown => h.routes.splice(1, 1), /default via 192\.0\.2\.1/],
    ['routing.on-prem', (h: HostFacts): unknown => h.routes.splice(2, 1), /leave by eth0/],
    [
      'lni.interface',
      (h: HostFacts): unknown => Object.assign(h.links[0] ?? {}, { mtu: 9001 }),
      /MTU \(1500\)/,
    ],
    ['lni.address', (h: HostFacts): unknown => h.addresses.splice(0), /outposts-node-agent up/],
    [
      'lni.sysctls',
      (h: HostFacts): unknown => Object.assign(h.sysctls, { 'net/ipv4/conf/ens6/rp_filter': '1' }),
      /rp_filter/,
    ],
  ] as const)('fails %s when it breaks, with a hint', (id, breakIt, hint) => {
    const h = converged();
    breakIt(h);
    const all = hostChecks(h, d);
    expect(all[id].status).toBe('fail');
    expect(all[id].hint).toMatch(hint);
    for (const [other, c] of Object.entries(all))
      if (other !== id && id !== 'lni.address') expect(c.status, other).toBe('pass');
  });

  it("fails lni.address when the ENI's EC2 private IP is configured on the host", () => {
    const h = converged();
    h.addresses.push({ ifname: 'ens6', address: '10.20.1.77', prefixLength: 32 });
    expect(hostChecks(h, d, { ec2PrivateIp: '10.20.1.77' })['lni.address'].hint).toContain(
      'EC2 private IP 10.20.1.77',
    );
  });

  it('checks where replies go: the gateway, a client beyond it, each on-prem network', () => {
    expect(replyTargets(d).map((t) => t.to)).toEqual(['192.0.2.1', BEYOND_LAN_PROBE, '198.51.100.1']);
    const via = (dev: string) => ({ dst: 'x', dev, table: 'lookup' });
    const ok = replyRouteCheck(
      d,
      replyTargets(d).map((t) => ({ ...t, route: via('ens6') })),
    );
    expect(ok.status).toBe('pass');
    const seed = replyRouteCheck(
      d,
      replyTargets(d).map((t, i) => ({ ...t, route: via(i === 1 ? 'eth0' : 'ens6') })),
    );
    expect(seed.status).toBe('fail');
    expect(seed.hint).toMatch(/to a client beyond the LAN gateway leave by eth0/);
  });

  it('keeps the default route on eth0', () => {
    expect(defaultRouteCheck(converged(), 'eth0', ['ens6']).status).toBe('pass');
    const h = converged();
    h.routes.push({ dst: 'default', gateway: '192.0.2.1', dev: 'ens6', table: 'main' });
    expect(defaultRouteCheck(h, 'eth0', ['ens6']).hint).toMatch(/default route on the LNI/);
  });
});

describe('pod SNAT check', () => {
  const desired = desiredSnat({
    enabled: true,
    ifname: 'lni0',
    address: '192.0.2.11',
    sources: ['10.20.0.0/16'],
    destinations: ['192.0.2.0/24'],
    table: 200,
    rulePriority: 1530,
  });
  const jump = `-A POSTROUTING ${desired.jump}`;
  const cni = '-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0';
  const facts = (
    post: string[],
    withChain = true,
    rules = [{ priority: 1530, to: '192.0.2.0/24', table: '200' }],
  ) =>
    ({
      defaultBackend: 'nf_tables',
      tables: {
        nf_tables: {
          chains: ['POSTROUTING', 'AWS-SNAT-CHAIN-0', ...(withChain ? [SNAT_CHAIN] : [])],
          rules: [...post, ...(withChain ? (desired.chainRules ?? []) : [])],
        },
      },
      rules,
    }) satisfies SnatFacts;
  const check = (f: SnatFacts) => podSnatCheck(diffSnat(f, desired), f, 1, 'nf_tables');

  it('passes when the chain is as recorded, jumped to first, with its LAN rule', () => {
    expect(check(facts([jump, cni]))).toMatchObject({ status: 'pass' });
  });

  it("fails naming the CNI's jump when it came first (aws-node restarted)", () => {
    const r = check(facts([cni, jump]));
    expect(r).toMatchObject({
      status: 'fail',
      observed: `first in POSTROUTING: ${cni.replace('-A POSTROUTING ', '')}`,
    });
    expect(r.hint).toMatch(/aws-node restarts/);
  });

  it('fails naming a missing chain and a missing LAN rule', () => {
    const r = check(facts([cni], false, []));
    expect(r.status).toBe('fail');
    expect(r.observed).toContain(`no ${SNAT_CHAIN} chain`);
    expect(r.observed).toContain('missing rule to 192.0.2.0/24');
  });
});

describe('the report', () => {
  const check = (id: string, status: CheckResult['status']): CheckResult => ({
    id,
    group: 'routing',
    title: id,
    status,
    observed: `${id} seen`,
    ...(status === 'fail' ? { expected: 'something', hint: 'do this' } : {}),
    durationMs: 1,
    timeoutMs: 1000,
  });
  const checks = [check('routing.rule', 'fail'), check('routing.table', 'pass')];
  const report: DiagnoseReport = {
    version: 1,
    command: 'diagnose',
    agentVersion: '0.0.0',
    generatedAt: new Date(0).toISOString(),
    durationMs: 10,
    boundMs: 10_000,
    ok: false,
    summary: summarize(checks),
    checks,
  };

  it('prints a table with the hint under a failure, colour only when asked', () => {
    const plain = renderReport(report, { colour: false });
    expect(plain).not.toContain('\x1b[');
    expect(plain).toMatch(
      / {2}FAIL {2}routing\.rule +routing\.rule seen\n +expected: something\n +hint: do this\n/,
    );
    expect(plain).toContain('1 pass, 0 warn, 1 fail, 0 skip');
    expect(renderReport(report, { colour: true })).toContain('\x1b[31mFAIL\x1b[0m');
  });

  it('names permission checks after the EC2 action in kebab case', () => {
    expect(kebab('ModifyNetworkInterfaceAttribute')).toBe('modify-network-interface-attribute');
  });
});
