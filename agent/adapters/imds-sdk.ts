// IMDS port on @aws-sdk/ec2-metadata-service: IMDSv2 only, one token reused for every read, bounded waits.
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { ImdsError } from '../errors.ts';
import type { Imds, ImdsExchange, ImdsProbe } from '../ports/imds.ts';

function statusOf(err: unknown): number | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; statusCode?: number; message?: string };
  const inText = /status code (\d{3})/.exec(e?.message ?? '')?.[1];
  return e?.$metadata?.httpStatusCode ?? e?.statusCode ?? (inText ? Number(inText) : undefined);
}

const CHECKS =
  'check that this is an EC2 instance, that instance metadata is enabled (`aws ec2 describe-instances` → MetadataOptions.HttpEndpoint; `aws ec2 modify-instance-metadata-options --http-endpoint enabled`), and, in a container, that the hop limit (HttpPutResponseHopLimit) is at least 2';

/** What went wrong with IMDS, in words an operator can act on (never the SDK's internals). */
export function imdsProblem(what: string, err: unknown): string {
  const status = statusOf(err);
  const text = String((err as Error)?.message ?? err);
  if (status === 403)
    return `IMDS refused ${what} (HTTP 403): instance metadata is disabled for this instance or blocks this caller; ${CHECKS}`;
  if (status === 401) return `IMDS rejected the IMDSv2 token for ${what} (HTTP 401) twice; ${CHECKS}`;
  if (status) return `IMDS answered HTTP ${status} for ${what}; ${CHECKS}`;
  if (/timeout|timed out|ETIMEDOUT|exceeded/i.test(text))
    return `IMDS did not answer ${what} in time; ${CHECKS}`;
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET/i.test(text))
    return `IMDS cannot be reached for ${what}; ${CHECKS}`;
  return `IMDS ${what} failed; ${CHECKS}`;
}

export interface ImdsOptions {
  /** Per-request timeout; the SDK's default is none. */
  timeoutMs?: number;
  retries?: number;
}

export class SdkImds implements Imds {
  /** Fetches tokens only; never falls back to IMDSv1. */
  private readonly tokens: MetadataService;
  /** Reads with a token we pass ourselves, so one token serves every read. */
  private readonly reader: MetadataService;
  private token?: Promise<string>;

  constructor(opts: ImdsOptions = {}) {
    const common = {
      httpOptions: { timeout: opts.timeoutMs ?? 2000 },
      retries: opts.retries ?? 3,
      backoff: 0.2,
    };
    this.tokens = new MetadataService({ ...common, ec2MetadataV1Disabled: true, tokenTtl: 300 });
    this.reader = new MetadataService({ ...common, disableFetchToken: true, ec2MetadataV1Disabled: false });
  }

  private async freshToken(): Promise<string> {
    try {
      return await this.tokens.fetchMetadataToken();
    } catch (err) {
      throw new ImdsError(
        imdsProblem('the IMDSv2 token request', err),
        { status: statusOf(err) },
        { cause: err },
      );
    }
  }

  async get(path: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= this.freshToken();
      const token = await this.token;
      try {
        return await this.reader.request(`/latest/${path}`, {
          headers: { 'x-aws-ec2-metadata-token': token },
        });
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) return undefined;
        if (status === 401 && attempt === 0) {
          this.token = undefined; // expired or rejected token: fetch one new token, once
          continue;
        }
        throw new ImdsError(
          imdsProblem(`meta-data path ${path.replace(/^meta-data\//, '')}`, err),
          { path, status },
          {
            cause: err,
          },
        );
      }
    }
  }

  async probe(): Promise<ImdsProbe> {
    // The reader never fetches a token itself, so each exchange below is exactly one request.
    const exchange = async (
      path: string,
      init: { method?: string; headers: Record<string, string> },
    ): Promise<{ result: ImdsExchange; body?: string }> => {
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      try {
        const body = await this.reader.request(path, init);
        return { result: { status: 200, ms: ms() }, body };
      } catch (err) {
        const status = statusOf(err);
        return {
          result:
            status === undefined
              ? { status: 0, ms: ms(), error: (err as Error).message }
              : { status, ms: ms() },
        };
      }
    };
    const withToken = async () => {
      const token = await exchange('/latest/api/token', {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      });
      const read = token.body
        ? await exchange('/latest/meta-data/instance-id', {
            headers: { 'x-aws-ec2-metadata-token': token.body },
          })
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
