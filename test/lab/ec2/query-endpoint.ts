// The Query-protocol endpoint core the lab's AWS APIs share (EC2, Auto Scaling): params in, XML out, faults, delays, call log.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { CallRecord } from '../types.ts';
import { Ec2Faults, type FaultDecision } from './faults.ts';
import { CallLog, ResponseDelays, readBody, sourceAddress } from './http-util.ts';
import { newRequestId } from './ids.ts';
import { parseQuery } from './query-params.ts';

/** An error the API answers with: its code, message and HTTP status. */
export interface QueryApiError extends Error {
  readonly code: string;
  readonly httpStatus: number;
}

export type InjectedFailure = NonNullable<FaultDecision['failure']>;

/** What tells one Query API from another: its version, its actions, its envelopes and its error codes. */
export interface QueryService {
  /** Log prefix, e.g. `ec2`. */
  name: string;
  /** The `Server` response header AWS sends. */
  serverHeader: string;
  /** Throws the API's error for a missing Action or a missing or wrong Version. */
  checkEnvelope(action: string | undefined, version: string | undefined): void;
  /** Runs one action on the parameters (without Action/Version) and renders the whole response body. */
  /** `source`: the caller's address (a node's eth0 address; loopback for the test itself). */
  respond(action: string, params: Record<string, string>, requestId: string, source: string): string;
  renderError(error: QueryApiError, requestId: string): string;
  /** The error itself if it is one of the API's answers (anything else becomes `internal`). */
  apiError(error: unknown): QueryApiError | undefined;
  /** The error an injected fault stands for (`hang` and `latency` have none). */
  faultError(failure: InjectedFailure): QueryApiError | undefined;
  internal(): QueryApiError;
  malformed(message: string): QueryApiError;
  isMutating(action: string): boolean;
  /** Latency added to every answer. */
  baseLatencyMs(): number;
}

export interface QueryHandlerOptions {
  /** Random source for fault probabilities (default Math.random). */
  random?: () => number;
  log?: (message: string) => void;
}

/** A Node request listener (mount it on any http.Server) plus the endpoint's controls. */
export type QueryHandler = RequestListener & {
  readonly faults: Ec2Faults;
  calls(): CallRecord[];
  clearCalls(): void;
  /** Wall-clock ms during which at least one request was being answered. */
  busyMs(): number;
  /** Releases hung and delayed requests (call before closing the server). */
  dispose(): void;
};

interface Outcome {
  status: number;
  errorCode?: string;
}

interface Reply extends Outcome {
  body: string;
}

const NO_ANSWER: Outcome = { status: 0, errorCode: 'NoAnswer' };

async function readParams(req: IncomingMessage): Promise<Record<string, string>> {
  const query = parseQuery(new URL(req.url ?? '/', 'http://lab').search);
  const body = req.method === 'POST' ? parseQuery(await readBody(req)) : {};
  return { ...query, ...body };
}

export function createQueryHandler(service: QueryService, options: QueryHandlerOptions = {}): QueryHandler {
  const log =
    options.log ?? ((message: string) => process.stderr.write(`[lab ${service.name}] ${message}\n`));
  const faults = new Ec2Faults(options.random);
  const delays = new ResponseDelays();
  const callLog = new CallLog<CallRecord>();
  let seq = 0;

  function send(res: ServerResponse, status: number, body: string, requestId: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, {
      'Content-Type': 'text/xml;charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': requestId,
      Server: service.serverHeader,
    });
    res.end(body);
  }

  /** Runs the action (unless a fault stands in for it) and renders the answer; undefined `reply` = hang. */
  function respond(
    params: Record<string, string>,
    requestId: string,
    source: string,
  ): { reply?: Reply; fault: FaultDecision } {
    const { Action: action = '', Version: version, ...rest } = params;
    let fault: FaultDecision = { latencyMs: 0 };
    try {
      service.checkEnvelope(action, version);
      fault = faults.decide(action);
      if (fault.failure === 'hang') return { fault };
      const injected = fault.failure && service.faultError(fault.failure);
      if (injected) throw injected;
      return { reply: { status: 200, body: service.respond(action, rest, requestId, source) }, fault };
    } catch (error) {
      const known = service.apiError(error);
      if (!known) log(`${action} failed unexpectedly: ${(error as Error).stack ?? error}`);
      const apiError = known ?? service.internal();
      const body = service.renderError(apiError, requestId);
      return { reply: { status: apiError.httpStatus, body, errorCode: apiError.code }, fault };
    }
  }

  async function answer(
    res: ServerResponse,
    params: Record<string, string>,
    source: string,
  ): Promise<Outcome> {
    const requestId = newRequestId();
    const { reply, fault } = respond(params, requestId, source);
    if (!reply) {
      await delays.hang(res, fault.hangMs);
      return NO_ANSWER;
    }
    if (!(await delays.pause(res, service.baseLatencyMs() + fault.latencyMs))) return NO_ANSWER;
    send(res, reply.status, reply.body, requestId);
    return { status: reply.status, errorCode: reply.errorCode };
  }

  const handler: RequestListener = (req, res) => {
    const startedAt = Date.now();
    const started = performance.now();
    callLog.enter();
    const record = (params: Record<string, string>, outcome: Outcome) => {
      const { Action: action = '', Version: _version, ...rest } = params;
      callLog.push({
        seq: ++seq,
        action,
        params: rest,
        source: sourceAddress(req),
        startedAt,
        durationMs: performance.now() - started,
        status: outcome.status,
        errorCode: outcome.errorCode,
        mutating: service.isMutating(action),
        dryRun: rest.DryRun === 'true',
      });
    };
    readParams(req)
      .then(async (params) => record(params, await answer(res, params, sourceAddress(req))))
      .catch((error: unknown) => {
        log(`request failed: ${String(error)}`);
        const requestId = newRequestId();
        const malformed = service.malformed(String(error));
        send(res, malformed.httpStatus, service.renderError(malformed, requestId), requestId);
        record({}, { status: malformed.httpStatus, errorCode: malformed.code });
      })
      .finally(() => callLog.leave());
  };

  return Object.assign(handler, {
    faults,
    calls: () => callLog.calls(),
    clearCalls: () => callLog.clear(),
    busyMs: () => callLog.busyMs,
    dispose: () => delays.dispose(),
  });
}
