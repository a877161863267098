// Validates examples/: core objects with kubernetes-models' validators, MetalLB and Multus resources against their CRD schemas.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../../agent/config/schema.ts';
import { vlanName } from '../../agent/model/plan-host.ts';
import { lniLabels } from '../../agent/model/plan-join.ts';
import {
  ipAddressPoolSchema,
  ipvlanConfigSchema,
  l2AdvertisementSchema,
  networkAttachmentDefinitionSchema,
} from './examples-crd-schemas.ts';

const DIR = fileURLToPath(new URL('../../examples', import.meta.url));
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown> };

const ajv = new Ajv({ allErrors: true, strict: true });
const crdValidators = {
  'metallb.io/v1beta1/IPAddressPool': ajv.compile(ipAddressPoolSchema),
  'metallb.io/v1beta1/L2Advertisement': ajv.compile(l2AdvertisementSchema),
  'k8s.cni.cncf.io/v1/NetworkAttachmentDefinition': ajv.compile(networkAttachmentDefinitionSchema),
};
const validateIpvlan = ajv.compile(ipvlanConfigSchema);
const coreModels = { 'apps/v1/Deployment': Deployment, 'v1/Service': Service };

/** Throws with every problem when DOC is not valid for its apiVersion/kind. */
function validate(doc: Doc): void {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = coreModels[key as keyof typeof coreModels];
  if (Model) {
    new Model(doc as never).validate();
    return;
  }
  const check = crdValidators[key as keyof typeof crdValidators];
  if (!check) throw new Error(`no validator for ${key}`);
  const name = doc.metadata.name;
  if (!check(doc)) throw new Error(`${key} ${name}: ${ajv.errorsText(check.errors)}`);
}

function cniConfig(doc: Doc): Record<string, unknown> {
  const config = JSON.parse(String(doc.spec?.config)) as Record<string, unknown>;
  if (!validateIpvlan(config))
    throw new Error(`${doc.metadata.name}: ${ajv.errorsText(validateIpvlan.errors)}`);
  return config;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs: (Doc & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { ...(d.toJSON() as Doc), file };
  }),
);
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
function one(kind: string): Doc & { file: string } {
  const [d] = byKind(kind);
  if (!d) throw new Error(`no ${kind} in examples/`);
  return d;
}
const strip = ({ file: _file, ...doc }: Doc & { file: string }) => doc;

describe('examples/', () => {
  it('holds the MetalLB pool and advertisement, the Multus attachments and the sample app, each file with a purpose line', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'Deployment',
      'IPAddressPool',
      'L2Advertisement',
      'NetworkAttachmentDefinition',
      'NetworkAttachmentDefinition',
      'Service',
    ]);
    for (const f of files) expect(readFileSync(join(DIR, f), 'utf8'), f).toMatch(/^# \S.*\n/);
  });

  it.each(docs.map((d) => [`${d.file}: ${d.kind} ${d.metadata.name}`, d] as const))(
    '%s is valid',
    (_name, d) => {
      expect(() => validate(strip(d))).not.toThrow();
    },
  );

  it('rejects what the schemas forbid (the validators are not vacuous)', () => {
    const [pool, adv, deploy] = [one('IPAddressPool'), one('L2Advertisement'), one('Deployment')];
    expect(() => validate({ ...strip(adv), spec: { ...adv.spec, interfaces: 'lni0' } })).toThrow(
      /interfaces/,
    );
    expect(() => validate({ ...strip(pool), spec: { autoAssign: false } })).toThrow(/addresses/);
    expect(() => validate({ ...strip(pool), spec: { ...pool.spec, interface: 'lni0' } })).toThrow(
      /additional/,
    );
    const badPort = structuredClone(strip(deploy)) as unknown as {
      spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } };
    };
    const port = badPort.spec.template.spec.containers[0]?.ports[0];
    if (port) port.containerPort = 'eighty';
    expect(() => validate(badPort as unknown as Doc)).toThrow(/containerPort/);
    expect(
      validateIpvlan({
        cniVersion: '0.4.0',
        name: 'x',
        type: 'ipvlan',
        master: 'lni0',
        ipam: { type: 'dhcp' },
      }),
    ).toBe(false);
  });

  it('matches the agent: interface lni0, its node labels, ipvlan L2 on the LNI without DHCP, the pool the Service asks for', () => {
    const lniName = configSchema.parse({}).lni.name;
    const labelKeys = Object.keys(
      lniLabels({
        lniAddress: '192.0.2.10',
        lniInterface: lniName,
        outpostArn: 'arn:aws:outposts:us-west-2:123456789012:outpost/op-0123456789abcdef0',
      }),
    );
    const [adv, pool, svc, deploy] = [
      one('L2Advertisement'),
      one('IPAddressPool'),
      one('Service'),
      one('Deployment'),
    ];
    expect(adv.spec?.interfaces).toEqual([lniName]);
    const selectors = adv.spec?.nodeSelectors as { matchLabels: Record<string, string> }[];
    for (const key of Object.keys(selectors[0]?.matchLabels ?? {})) expect(labelKeys).toContain(key);
    expect(selectors[0]?.matchLabels['outposts-node-agent/lni-interface']).toBe(lniName);
    expect(adv.spec?.ipAddressPools).toEqual([pool.metadata.name]);

    for (const nad of byKind('NetworkAttachmentDefinition')) {
      const config = cniConfig(nad);
      expect(config).toMatchObject({ type: 'ipvlan', master: lniName, mode: 'l2' });
      expect((config.ipam as { type: string }).type).not.toBe('dhcp');
    }

    const annotations = (svc.metadata as { annotations?: Record<string, string> }).annotations;
    expect(svc.spec?.type).toBe('LoadBalancer');
    expect(annotations?.['metallb.io/address-pool']).toBe(pool.metadata.name);
    const template = deploy.spec?.template as {
      metadata: { labels: Record<string, string> };
      spec: { nodeSelector: Record<string, string> };
    };
    expect(svc.spec?.selector).toEqual(template.metadata.labels);
    expect(template.spec.nodeSelector).toEqual({ 'outposts-node-agent/lni-interface': lniName });
  });
});

describe('examples/vlan/ (lni.vlan: 42)', () => {
  const VLAN_DIR = join(DIR, 'vlan');
  const vlanDocs = readdirSync(VLAN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(VLAN_DIR, file), 'utf8')).map((d) => ({
        ...(d.toJS() as Doc),
        file,
      })),
    );
  const ifname = vlanName(configSchema.parse({}).lni.name, 42);

  it.each(vlanDocs.map((d) => [`${d.file}: ${d.kind} ${d.metadata.name}`, d] as const))(
    '%s is valid',
    (_n, d) => {
      expect(() => validate(strip(d))).not.toThrow();
    },
  );

  it('names the VLAN sub-interface the agent makes and labels (lni0.42), for MetalLB and Multus alike', () => {
    expect(ifname).toBe('lni0.42');
    const adv = vlanDocs.find((d) => d.kind === 'L2Advertisement');
    expect(adv?.spec?.interfaces).toEqual([ifname]);
    const selectors = adv?.spec?.nodeSelectors as { matchLabels: Record<string, string> }[];
    expect(selectors[0]?.matchLabels['outposts-node-agent/lni-interface']).toBe(ifname);
    const nads = vlanDocs.filter((d) => d.kind === 'NetworkAttachmentDefinition');
    expect(nads).toHaveLength(1);
    for (const nad of nads)
      expect(cniConfig(nad)).toMatchObject({ type: 'ipvlan', master: ifname, mode: 'l2' });
  });
});
