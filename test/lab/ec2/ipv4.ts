// IPv4 arithmetic and a per-subnet address pool that hands out private IPs the way a VPC subnet does.
export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export interface Cidr {
  base: number;
  prefix: number;
  size: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip = '', prefixText = ''] = cidr.split('/');
  const base = ipToInt(ip);
  const prefix = Number(prefixText);
  if (base === undefined || !/^\d{1,2}$/.test(prefixText) || prefix > 32) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - prefix);
  return { base: base - (base % size), prefix, size };
}

export const cidrContains = (cidr: Cidr, ip: number): boolean =>
  ip >= cidr.base && ip < cidr.base + cidr.size;

/**
 * Free/used addresses of one subnet. AWS reserves the first four addresses and the last one of
 * every subnet (network, router, DNS, future use, broadcast), so those are never handed out.
 */
export class AddressPool {
  private readonly cidr: Cidr;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(cidrBlock: string) {
    this.cidr = parseCidr(cidrBlock);
    this.cursor = this.firstUsable;
  }

  private get firstUsable(): number {
    return this.cidr.base + 4;
  }

  private get lastUsable(): number {
    return this.cidr.base + this.cidr.size - 2;
  }

  /** Whether `ip` is an address EC2 would assign in this subnet (inside the CIDR, not reserved). */
  isAssignable(ip: string): boolean {
    const value = ipToInt(ip);
    return value !== undefined && value >= this.firstUsable && value <= this.lastUsable;
  }

  isUsed(ip: string): boolean {
    const value = ipToInt(ip);
    return value !== undefined && this.used.has(value);
  }

  /** Marks `ip` used; false if it was already taken. */
  claim(ip: string): boolean {
    const value = ipToInt(ip);
    if (value === undefined || this.used.has(value)) return false;
    this.used.add(value);
    return true;
  }

  /** The next free address after the last one handed out (wrapping once), or undefined when full. */
  allocate(): string | undefined {
    const span = this.lastUsable - this.firstUsable + 1;
    for (let tried = 0; tried < span; tried++) {
      const candidate = this.cursor;
      this.cursor = candidate >= this.lastUsable ? this.firstUsable : candidate + 1;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return intToIp(candidate);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    const value = ipToInt(ip);
    if (value !== undefined) this.used.delete(value);
  }

  get availableCount(): number {
    return Math.max(0, this.lastUsable - this.firstUsable + 1 - this.used.size);
  }
}
