// Pure IPv4 arithmetic: parse, format, CIDR membership and ranges (no node:* imports).

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isValidIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

export function ipToInt(s: string): number {
  if (!isValidIpv4(s)) throw new TypeError(`not an IPv4 address: ${s}`);
  return s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  address: string;
  prefixLength: number;
}

export function parseCidr(s: string): Cidr {
  const [address, len, ...rest] = s.split('/');
  const prefixLength = Number(len);
  if (rest.length || !address || !isValidIpv4(address) || !/^\d{1,2}$/.test(len ?? '') || prefixLength > 32)
    throw new TypeError(`not an IPv4 CIDR: ${s}`);
  return { address, prefixLength };
}

function mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function networkOf(address: string, prefixLength: number): string {
  return intToIp((ipToInt(address) & mask(prefixLength)) >>> 0);
}

/** A CIDR is valid when it parses; with hostBitsAllowed false the address must be the network address. */
export function isValidCidr(s: string, opts: { hostBitsAllowed?: boolean } = {}): boolean {
  try {
    const c = parseCidr(s);
    return opts.hostBitsAllowed || networkOf(c.address, c.prefixLength) === c.address;
  } catch {
    return false;
  }
}

export function cidrContains(cidr: string, address: string): boolean {
  const c = parseCidr(cidr);
  return networkOf(address, c.prefixLength) === networkOf(c.address, c.prefixLength);
}

/** Addresses from start to end inclusive (bounded by `limit`). */
export function* rangeOf(start: string, end: string, limit = 65_536): Generator<string> {
  const a = ipToInt(start);
  const b = ipToInt(end);
  for (let i = a, n = 0; i <= b && n < limit; i++, n++) yield intToIp(i);
}

/** 255.255.255.0 → 24; throws on a non-contiguous mask. */
export function maskToPrefix(mask: string): number {
  const n = ipToInt(mask);
  const prefix = 32 - Math.log2((~n >>> 0) + 1);
  if (!Number.isInteger(prefix)) throw new TypeError(`not a contiguous netmask: ${mask}`);
  return prefix;
}

/** Two CIDRs share at least one address (one contains the other's network). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const shorter = Math.min(x.prefixLength, y.prefixLength);
  return networkOf(x.address, shorter) === networkOf(y.address, shorter);
}
