// IMDS port on @aws-sdk/ec2-metadata-service: IMDSv2 only, one token reused for every read, bounded waits.
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { ImdsError } from '../errors.ts';
import type { Imds, ImdsExchange, ImdsProbe } from '../ports/imds.ts';

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
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
        `IMDSv2 token request failed: ${(err as Error).message}`,
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
          `IMDS ${path} failed: ${(err as Error).message}`,
          { path, status },
          { cause: err },
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
