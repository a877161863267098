// The lab's IMDS endpoint: IMDSv2 token flow, per-instance metadata derived live from EC2 state, fault injection.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  CallLog,
  isLoopback,
  type ListenTarget,
  ResponseDelays,
  type RunningServer,
  serveEndpoint,
  sourceAddress,
} from '../ec2/http-util.ts';
import type { Ec2State } from '../ec2/state.ts';
import type { LabInstance } from '../types.ts';
import { lookup, metadataTree } from './metadata-tree.ts';
import { parseTtl, TOKEN_HEADER, TOKEN_TTL_HEADER, TokenStore } from './tokens.ts';

export const INSTANCE_ID_HEADER = 'x-lab-instance-id';
export const TOKEN_PATH = '/latest/api/token';

export interface ImdsFault {
  /**
   * not-found: the paths answer 404 as IMDS does for data it does not have (e.g. no placement/region);
   * disabled: every request answers 403, as IMDS does when the instance's metadata endpoint is turned off.
   */
  kind: 'hang' | 'unauthorized' | 'latency' | 'not-found' | 'disabled' | 'none';
  /** latency: added delay; hang: ms before the connection is dropped (default: until the client gives up). */
  latencyMs?: number;
  /** Path prefixes affected (default: every request; `unauthorized` affects GETs only). */
  paths?: string[];
  /** How many matching requests to affect (default: unlimited). */
  times?: number;
}

export interface ImdsCallRecord {
  seq: number;
  method: string;
  path: string;
  source: string;
  instanceId?: string;
  status: number;
  startedAt: number;
  durationMs: number;
  /** Whether the request carried a (valid or not) session token. */
  withToken: boolean;
}

export interface ImdsHandlerOptions {
  state: Ec2State;
  /** Which instance a request comes from (default: by source address, loopback → header or first instance). */
  instanceFor?: (req: IncomingMessage) => LabInstance | undefined;
  /** HttpTokens=optional: token-less GETs succeed (default false: IMDSv2 required). */
  imdsV1Allowed?: boolean;
}

export type ImdsHandler = RequestListener & {
  readonly faults: { set(fault: ImdsFault): void; clear(): void };
  readonly tokens: TokenStore;
  /** Switches HttpTokens between optional (true) and required (false). */
  setImdsV1Allowed(allowed: boolean): void;
  calls(): ImdsCallRecord[];
  clearCalls(): void;
  busyMs(): number;
  dispose(): void;
};

/** The default caller → instance mapping: eth0 address, or on loopback the header / first instance. */
export function defaultInstanceFor(state: Ec2State): (req: IncomingMessage) => LabInstance | undefined {
  return (req) => {
    const source = sourceAddress(req);
    const byIp = state.instanceByIp(source);
    if (byIp || !isLoopback(source)) return byIp;
    const header = req.headers[INSTANCE_ID_HEADER];
    if (typeof header === 'string') return state.getInstance(header);
    return state.instances()[0];
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

/** IMDS answers errors with a small XHTML page. */
function errorPage(status: number): string {
  const title = `${status} - ${STATUS_TEXT[status] ?? 'Error'}`;
  return [
    '<?xml version="1.0" encoding="iso-8859-1"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"',
    '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    ' <head>',
    `  <title>${title}</title>`,
    ' </head>',
    ' <body>',
    `  <h1>${title}</h1>`,
    ' </body>',
    '</html>',
    '',
  ].join('\n');
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const errorReply = (status: number): Reply => ({ status, body: errorPage(status) });

/** Collapses `//` (the SDK joins endpoint path "/" and "/latest/…") and drops the query string. */
const normalizePath = (url: string | undefined): string =>
  (url ?? '/').split('?')[0]?.replace(/\/{2,}/g, '/') ?? '/';

class ImdsFaults {
  private fault: ImdsFault = { kind: 'none' };
  private remaining = Number.POSITIVE_INFINITY;

  set(fault: ImdsFault): void {
    this.fault = { ...fault };
    this.remaining = fault.times ?? Number.POSITIVE_INFINITY;
  }

  clear(): void {
    this.set({ kind: 'none' });
  }

  /** The fault that applies to this request, consuming one use. */
  take(method: string, path: string): ImdsFault | undefined {
    const { kind, paths } = this.fault;
    if (kind === 'none' || this.remaining <= 0) return undefined;
    if ((kind === 'unauthorized' || kind === 'not-found') && method !== 'GET') return undefined;
    if (paths && !paths.some((prefix) => path.startsWith(prefix))) return undefined;
    this.remaining -= 1;
    return this.fault;
  }
}

export function createImdsHandler(options: ImdsHandlerOptions): ImdsHandler {
  const { state } = options;
  const instanceFor = options.instanceFor ?? defaultInstanceFor(state);
  const tokens = new TokenStore();
  const faults = new ImdsFaults();
  const delays = new ResponseDelays();
  const callLog = new CallLog<ImdsCallRecord>();
  let v1Allowed = options.imdsV1Allowed ?? false;
  let seq = 0;

  function tokenReply(req: IncomingMessage): Reply {
    if (req.headers['x-forwarded-for'] !== undefined) return errorReply(403);
    const ttl = parseTtl(req.headers[TOKEN_TTL_HEADER]);
    if (ttl === undefined) return errorReply(400);
    return { status: 200, body: tokens.issue(ttl), headers: { [TOKEN_TTL_HEADER]: String(ttl) } };
  }

  function metadataReply(req: IncomingMessage, path: string, instance: LabInstance | undefined): Reply {
    const token = req.headers[TOKEN_HEADER];
    if (typeof token === 'string' ? !tokens.isValid(token) : !v1Allowed) return errorReply(401);
    if (!instance) return errorReply(404);
    const body = lookup(metadataTree(state, instance), path);
    return body === undefined ? errorReply(404) : { status: 200, body };
  }

  function reply(req: IncomingMessage, path: string, instance: LabInstance | undefined): Reply {
    if (req.method === 'PUT') return path === TOKEN_PATH ? tokenReply(req) : errorReply(403);
    if (req.method === 'GET' || req.method === 'HEAD') {
      return path === TOKEN_PATH ? errorReply(405) : metadataReply(req, path, instance);
    }
    return errorReply(405);
  }

  async function answer(req: IncomingMessage, res: ServerResponse, path: string, instance?: LabInstance) {
    const fault = faults.take(req.method ?? 'GET', path);
    if (fault?.kind === 'hang') {
      await delays.hang(res, fault.latencyMs);
      return 0;
    }
    if (!(await delays.pause(res, fault?.kind === 'latency' ? (fault.latencyMs ?? 0) : 0))) return 0;
    const { status, body, headers } =
      fault?.kind === 'unauthorized'
        ? errorReply(401)
        : fault?.kind === 'not-found'
          ? errorReply(404)
          : fault?.kind === 'disabled'
            ? errorReply(403)
            : reply(req, path, instance);
    res.writeHead(status, {
      'Content-Type': status === 200 ? 'text/plain' : 'text/html',
      'Content-Length': Buffer.byteLength(body),
      Server: 'EC2ws',
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return status;
  }

  const handler: RequestListener = (req, res) => {
    const startedAt = Date.now();
    const started = performance.now();
    const path = normalizePath(req.url);
    const instance = instanceFor(req);
    callLog.enter();
    req.resume();
    answer(req, res, path, instance)
      .catch((error: unknown) => {
        process.stderr.write(`[lab imds] ${path}: ${String(error)}\n`);
        res.destroy();
        return 0;
      })
      .then((status) => {
        callLog.push({
          seq: ++seq,
          method: req.method ?? '',
          path,
          source: sourceAddress(req),
          instanceId: instance?.instanceId,
          status,
          startedAt,
          durationMs: performance.now() - started,
          withToken: req.headers[TOKEN_HEADER] !== undefined,
        });
      })
      .finally(() => callLog.leave());
  };

  return Object.assign(handler, {
    faults,
    tokens,
    setImdsV1Allowed: (allowed: boolean) => {
      v1Allowed = allowed;
    },
    calls: () => callLog.calls(),
    clearCalls: () => callLog.clear(),
    busyMs: () => callLog.busyMs,
    dispose: () => delays.dispose(),
  });
}

export type ImdsServer = RunningServer & { handler: ImdsHandler };

/** Serves IMDS for `state` on host/port (default 127.0.0.1:0) or on a handed-over listening handle. */
export function startImdsServer(options: ImdsHandlerOptions & ListenTarget): Promise<ImdsServer> {
  const { state, instanceFor, imdsV1Allowed, ...target } = options;
  return serveEndpoint(createImdsHandler({ state, instanceFor, imdsV1Allowed }), target);
}
