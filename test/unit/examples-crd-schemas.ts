// JSON schemas for the third-party resources in examples/, transcribed (fields the examples use) from the projects' CRDs.
//
// MetalLB: metallb/metallb config/crd/bases/metallb.io_ipaddresspools.yaml (commit 6b4b54fb) and
// metallb.io_l2advertisements.yaml (commit 645de157), controller-gen v0.16.3, metallb.io/v1beta1 — the CRDs of
// the v0.14.9 / v0.15 releases (`interfaces` exists since v0.13.x; the metallb.io/ annotation prefix since v0.14.9).
// Multus: k8snetworkplumbingwg/multus-cni deployments/multus-daemonset-thick.yml (commit 05517e26),
// network-attachment-definitions.k8s.cni.cncf.io, k8s.cni.cncf.io/v1 (spec.config: a JSON CNI configuration).
// The CNI configuration inside it: containernetworking/plugins ipvlan ("Network configuration reference": name,
// type, master, mode l2|l3|l3s, mtu, linkInContainer, ipam) and static IPAM (addresses, routes), whereabouts
// (range, range_start, range_end, exclude).
// The CRDs allow unknown fields (the API server prunes them); here they are rejected, as `kubectl apply` does
// with its default strict field validation.

const stringArray = { type: 'array', items: { type: 'string' } } as const;

/** metav1.LabelSelector as the CRDs spell it. */
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: { key: { type: 'string' }, operator: { type: 'string' }, values: stringArray },
      },
    },
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

function resource(apiVersion: string, kind: string, spec: object, requiredSpec = true) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata', ...(requiredSpec ? ['spec'] : [])],
    properties: {
      apiVersion: { const: apiVersion },
      kind: { const: kind },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
          namespace: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          annotations: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      spec,
    },
  } as const;
}

export const ipAddressPoolSchema = resource('metallb.io/v1beta1', 'IPAddressPool', {
  type: 'object',
  additionalProperties: false,
  required: ['addresses'],
  properties: {
    addresses: stringArray,
    autoAssign: { type: 'boolean', default: true },
    avoidBuggyIPs: { type: 'boolean', default: false },
  },
});

export const l2AdvertisementSchema = resource(
  'metallb.io/v1beta1',
  'L2Advertisement',
  {
    type: 'object',
    additionalProperties: false,
    properties: {
      interfaces: stringArray,
      ipAddressPoolSelectors: { type: 'array', items: labelSelector },
      ipAddressPools: stringArray,
      nodeSelectors: { type: 'array', items: labelSelector },
    },
  },
  false,
);

export const networkAttachmentDefinitionSchema = resource(
  'k8s.cni.cncf.io/v1',
  'NetworkAttachmentDefinition',
  { type: 'object', additionalProperties: false, properties: { config: { type: 'string' } } },
  false,
);

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['dst'],
  properties: { dst: { type: 'string' }, gw: { type: 'string' } },
} as const;

/** The ipvlan plugin's configuration with the two IPAM plugins the examples use. */
export const ipvlanConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cniVersion', 'name', 'type', 'master', 'ipam'],
  properties: {
    cniVersion: { type: 'string' },
    name: { type: 'string' },
    type: { const: 'ipvlan' },
    master: { type: 'string' },
    mode: { enum: ['l2', 'l3', 'l3s'] },
    mtu: { type: 'integer' },
    linkInContainer: { type: 'boolean' },
    capabilities: { type: 'object', additionalProperties: { type: 'boolean' } },
    ipam: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { const: 'static' },
            addresses: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['address'],
                properties: { address: { type: 'string' }, gateway: { type: 'string' } },
              },
            },
            routes: { type: 'array', items: route },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'range'],
          properties: {
            type: { const: 'whereabouts' },
            range: { type: 'string' },
            range_start: { type: 'string' },
            range_end: { type: 'string' },
            exclude: stringArray,
          },
        },
      ],
    },
  },
} as const;
