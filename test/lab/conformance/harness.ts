// Test harness: lab EC2 + IMDS endpoints on loopback, an @aws-sdk/client-ec2 factory and an AWS CLI v2 runner.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { EC2Client } from '@aws-sdk/client-ec2';
import { type Ec2Server, startEc2Server } from '../ec2/server.ts';
import { Ec2State, type Ec2StateOptions } from '../ec2/state.ts';
import { type ImdsHandlerOptions, type ImdsServer, startImdsServer } from '../imds/server.ts';

/** The Debian `awscli` package (v2); an AWS CLI v1 may come first on PATH. */
export const AWS_CLI = '/usr/bin/aws';

export interface ApiError {
  code: string;
  message: string;
  /** HTTP status (SDK only; the CLI does not print it). */
  status?: number;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Parsed stdout when it is JSON. */
  json?: unknown;
  /** `An error occurred (Code) when calling the X operation: message`, parsed. */
  error?: ApiError;
}

export interface LabEndpoints {
  state: Ec2State;
  ec2: Ec2Server;
  imds: ImdsServer;
  /** An EC2 client pointed at the lab (fake static credentials; maxAttempts 1 unless given). */
  sdk(options?: { maxAttempts?: number; requestTimeoutMs?: number }): EC2Client;
  /** Runs `aws ec2 <args>` against the lab; JSON output; one attempt unless given. */
  cli(args: readonly string[], options?: { maxAttempts?: number }): Promise<CliResult>;
  close(): Promise<void>;
}

const CLI_ERROR = /An error occurred \(([^)]+)\) when calling the \w+ operation(?: \([^)]*\))?: (.*)/;

function parseCliError(stderr: string): ApiError | undefined {
  const match = CLI_ERROR.exec(stderr);
  return match ? { code: match[1] ?? '', message: (match[2] ?? '').trim() } : undefined;
}

function parseJson(text: string): unknown {
  try {
    return text.trim() ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `/usr/bin/aws <service> <args>` against a lab endpoint with fake credentials; JSON output. */
export function runAwsCli(
  endpoint: string,
  region: string,
  args: readonly string[],
  maxAttempts = 1,
  service = 'ec2',
) {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: 'AKIALABFAKEKEY000001',
    AWS_SECRET_ACCESS_KEY: 'lab-fake-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: String(maxAttempts),
    AWS_RETRY_MODE: 'standard',
  };
  const argv = ['--endpoint-url', endpoint, '--region', region, '--output', 'json', service, ...args];
  return new Promise<CliResult>((resolve) => {
    execFile(AWS_CLI, argv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ exitCode, stdout, stderr, json: parseJson(stdout), error: parseCliError(stderr) });
    });
  });
}

/** The SDK's error as code/message/status, or a failure if the call succeeded. */
export async function sdkError(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.name ?? '', message: e.message ?? '', status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

export async function startLabEndpoints(
  options: Ec2StateOptions & Omit<ImdsHandlerOptions, 'state'> = {},
): Promise<LabEndpoints> {
  const { instanceFor, imdsV1Allowed, ...stateOptions } = options;
  const state = new Ec2State({ log: () => {}, ...stateOptions });
  const ec2 = await startEc2Server({ state, handlerOptions: { log: () => {} } });
  const imds = await startImdsServer({ state, instanceFor, imdsV1Allowed });
  const clients: EC2Client[] = [];
  return {
    state,
    ec2,
    imds,
    sdk: ({ maxAttempts = 1, requestTimeoutMs } = {}) => {
      const client = new EC2Client({
        endpoint: ec2.url,
        region: state.region,
        credentials: { accessKeyId: 'AKIALABFAKEKEY000001', secretAccessKey: 'lab-fake-secret' },
        maxAttempts,
        // Since @smithy/node-http-handler 4.x a requestTimeout only warns unless throwOnRequestTimeout is set.
        requestHandler:
          requestTimeoutMs === undefined
            ? undefined
            : { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
      });
      clients.push(client);
      return client;
    },
    cli: (args, { maxAttempts = 1 } = {}) => runAwsCli(ec2.url, state.region, args, maxAttempts),
    close: async () => {
      for (const client of clients) client.destroy();
      state.dispose();
      await Promise.all([ec2.close(), imds.close()]);
    },
  };
}

export interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A plain HTTP request (optionally from a chosen loopback source address), for what the SDKs hide. */
export function rawHttp(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 5_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
