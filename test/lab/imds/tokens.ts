// IMDSv2 session tokens: issued by PUT /latest/api/token with a TTL of 1..21600 s, valid until they expire.
import { randomBytes } from 'node:crypto';

export const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
export const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
export const MAX_TOKEN_TTL_SECONDS = 21_600;

/** The TTL a token request asks for, or undefined when the header is missing or out of range (→ 400). */
export function parseTtl(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^\d+$/.test(header.trim())) return undefined;
  const ttl = Number(header.trim());
  return ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS ? ttl : undefined;
}

export class TokenStore {
  private readonly expiry = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(ttlSeconds: number): string {
    this.dropExpired();
    const token = randomBytes(42).toString('base64');
    this.expiry.set(token, this.now() + ttlSeconds * 1000);
    return token;
  }

  isValid(token: string): boolean {
    const expiresAt = this.expiry.get(token);
    return expiresAt !== undefined && this.now() < expiresAt;
  }

  /** Makes every token issued so far expired (tests of the 401-on-expiry path without waiting). */
  expireAll(): void {
    this.expiry.clear();
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.expiry) if (expiresAt <= now) this.expiry.delete(token);
  }
}
