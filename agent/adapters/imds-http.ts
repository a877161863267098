// IMDS port on the runtime's fetch: IMDSv2 only (never a tokenless read), one token per process, bounded waits.
// Not @aws-sdk/ec2-metadata-service: that client pulls node:http and smithy into `watch`, which polls IMDS all
// its life, for ~10 MB of resident memory in the packaged executable (`npm run bench`, P4); the protocol is two
// requests (docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html).
import { ImdsError } from '../errors.ts';
import type { Imds, ImdsExchange, ImdsProbe } from '../ports/imds.ts';

/** A token lives up to 6 h; one serves the whole run, and a long-lived `watch` asks again a minute before expiry. */
const TOKEN_TTL_SECONDS = 21_600;
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

/** Where IMDS is: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv4 (or, by _ENDPOINT_MODE=IPv6, IPv6) address. */
export function imdsEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.AWS_EC2_METADATA_SERVICE_ENDPOINT?.trim();
  if (explicit) return explicit.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6'
    ? 'http://[fd00:ec2::254]'
    : 'http://169.254.169.254';
}

/** IMDS answered, but not 200. */
class ImdsStatus extends Error {
  constructor(readonly statusCode: number) {
    super(`IMDS answered HTTP ${statusCode}`);
  }
}

const CHECKS =
  'check that this is an EC2 instance, that instance metadata is enabled (`aws ec2 describe-instances` → MetadataOptions.HttpEndpoint; `aws ec2 modify-instance-metadata-options --http-endpoint enabled`), and, in a container, that the hop limit (HttpPutResponseHopLimit) is at least 2';

/** The network-level reason under a fetch failure (Node nests it in `cause`, Bun names it in `code`). */
function networkReason(err: unknown): string {
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  return [e?.name, e?.code, e?.message, e?.cause?.code, e?.cause?.message].filter(Boolean).join(' ');
}

/** What went wrong with IMDS, in words an operator can act on. */
export function imdsProblem(what: string, err: unknown): string {
  const status = err instanceof ImdsStatus ? err.statusCode : undefined;
  const text = networkReason(err);
  if (status === 403)
    return `IMDS refused ${what} (HTTP 403): instance metadata is disabled for this instance or blocks this caller; ${CHECKS}`;
  if (status === 401) return `IMDS rejected the IMDSv2 token for ${what} (HTTP 401) twice; ${CHECKS}`;
  if (status) return `IMDS answered HTTP ${status} for ${what}; ${CHECKS}`;
  if (/timeout|timed out|ETIMEDOUT|abort/i.test(text))
    return `IMDS did not answer ${what} in time; ${CHECKS}`;
  if (
    /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ConnectionRefused|Unable to connect|fetch failed/i.test(
      text,
    )
  )
    return `IMDS cannot be reached for ${what}; ${CHECKS}`;
  return `IMDS ${what} failed (${text}); ${CHECKS}`;
}

export interface ImdsOptions {
  /** Per request, body included. */
  timeoutMs?: number;
  /** Further attempts after a failure that may pass (no answer, 5xx, 429); 400/403/404 are final. */
  retries?: number;
  /** Pause before each further attempt. */
  backoffMs?: number;
  env?: NodeJS.ProcessEnv;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpImds implements Imds {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private token?: { value: Promise<string>; expires: number };

  constructor(opts: ImdsOptions = {}) {
    this.base = imdsEndpoint(opts.env);
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 200;
  }

  /** One HTTP exchange: the body on 200, ImdsStatus otherwise; network failures and timeouts throw as fetch does. */
  private async once(
    path: string,
    init: { method?: string; headers: Record<string, string> },
  ): Promise<string> {
    const res = await fetch(`${this.base}${path}`, {
      method: init.method ?? 'GET',
      headers: init.headers,
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    const body = await res.text();
    if (res.status !== 200) throw new ImdsStatus(res.status);
    return body;
  }

  private async withRetries(path: string, init: { method?: string; headers: Record<string, string> }) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, init);
      } catch (err) {
        const status = err instanceof ImdsStatus ? err.statusCode : undefined;
        const final = status !== undefined && status < 500 && status !== 429;
        if (final || attempt >= this.retries) throw err;
        await sleep(this.backoffMs);
      }
    }
  }

  private freshToken(): Promise<string> {
    return this.withRetries('/latest/api/token', {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
    }).catch((err: unknown) => {
      throw new ImdsError(
        imdsProblem('the IMDSv2 token request', err),
        { status: err instanceof ImdsStatus ? err.statusCode : undefined },
        { cause: err },
      );
    });
  }

  private currentToken(): Promise<string> {
    if (!this.token || Date.now() >= this.token.expires) {
      const value = this.freshToken();
      this.token = { value, expires: Date.now() + (TOKEN_TTL_SECONDS - 60) * 1000 };
      value.catch(() => {
        if (this.token?.value === value) this.token = undefined; // the next read asks again
      });
    }
    return this.token.value;
  }

  async get(path: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.currentToken();
      try {
        return await this.withRetries(`/latest/${path}`, { headers: { [TOKEN_HEADER]: token } });
      } catch (err) {
        const status = err instanceof ImdsStatus ? err.statusCode : undefined;
        if (status === 404) return undefined;
        if (status === 401 && attempt === 0) {
          this.token = undefined; // expired or rejected token: fetch one new token, once
          continue;
        }
        throw new ImdsError(
          imdsProblem(`meta-data path ${path.replace(/^meta-data\//, '')}`, err),
          { path, status },
          { cause: err },
        );
      }
    }
  }

  async probe(): Promise<ImdsProbe> {
    // Single attempts: each exchange below is exactly one request.
    const exchange = async (
      path: string,
      init: { method?: string; headers: Record<string, string> },
    ): Promise<{ result: ImdsExchange; body?: string }> => {
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      try {
        const body = await this.once(path, init);
        return { result: { status: 200, ms: ms() }, body };
      } catch (err) {
        return {
          result:
            err instanceof ImdsStatus
              ? { status: err.statusCode, ms: ms() }
              : { status: 0, ms: ms(), error: networkReason(err) },
        };
      }
    };
    const withToken = async () => {
      const token = await exchange('/latest/api/token', {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      });
      const read = token.body
        ? await exchange('/latest/meta-data/instance-id', { headers: { [TOKEN_HEADER]: token.body } })
        : undefined;
      return { token, read };
    };
    const [{ token, read }, tokenless] = await Promise.all([
      withToken(),
      exchange('/latest/meta-data/instance-id', { headers: {} }),
    ]);
    return { token: token.result, read: read?.result, tokenless: tokenless.result };
  }
}
