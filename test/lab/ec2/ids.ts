// Resource ids, request ids and MAC addresses shaped like the ones EC2 hands out.
import { randomBytes, randomUUID } from 'node:crypto';
import { Ec2ApiError, ec2Errors } from './errors.ts';

/** `prefix-` followed by 17 lowercase hex digits, as current EC2 ids are. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export const newRequestId = (): string => randomUUID();

/** EC2 accepts the old 8-digit and the current 17-digit form. */
const idPatterns = new Map<string, RegExp>();
export function isWellFormedId(prefix: string, id: string): boolean {
  let pattern = idPatterns.get(prefix);
  if (!pattern) {
    pattern = new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);
    idPatterns.set(prefix, pattern);
  }
  return pattern.test(id);
}

const MALFORMED_CODES: Record<string, string> = {
  eni: 'InvalidNetworkInterfaceId.Malformed',
  i: 'InvalidInstanceID.Malformed',
  subnet: 'InvalidSubnetID.Malformed',
  ami: 'InvalidAMIID.Malformed',
  'eni-attach': 'InvalidNetworkInterfaceAttachmentId.Malformed',
};

/** Throws the `...Malformed` error EC2 gives for an id that cannot be of the given kind. */
export function assertWellFormedId(prefix: string, id: string): void {
  if (isWellFormedId(prefix, id)) return;
  const code = MALFORMED_CODES[prefix];
  throw code ? ec2Errors.malformedId(code, id, prefix) : new Ec2ApiError('InvalidID', `Invalid id: "${id}"`);
}

/**
 * A random unicast, locally administered MAC (first octet x2/x6/xa/xe), as EC2 gives ENIs.
 * `taken` makes it unique within the lab.
 */
export function newMac(taken: ReadonlySet<string>): string {
  for (;;) {
    const bytes = randomBytes(6);
    bytes[0] = ((bytes[0] ?? 0) & 0xfc) | 0x02;
    const mac = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
    if (!taken.has(mac)) return mac;
  }
}
