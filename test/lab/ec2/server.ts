// The lab's EC2 Query API endpoint: form-encoded requests in, EC2 XML out, with fault injection and a call log.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { CallRecord } from '../types.ts';
import { isMutating, runAction } from './actions.ts';
import { Ec2ApiError, ec2Errors } from './errors.ts';
import { Ec2Faults, type FaultDecision } from './faults.ts';
import {
  BusyClock,
  type ListenTarget,
  ResponseDelays,
  type RunningServer,
  readBody,
  serveEndpoint,
  sourceAddress,
} from './http-util.ts';
import { newRequestId } from './ids.ts';
import { parseQuery } from './query-params.ts';
import type { Ec2State } from './state.ts';
import { renderError, renderResponse } from './xml.ts';

export const EC2_API_VERSION = '2016-11-15';

export interface Ec2HandlerOptions {
  /** Random source for fault probabilities (default Math.random). */
  random?: () => number;
  log?: (message: string) => void;
}

/** A Node request listener (mount it on any http.Server) plus the endpoint's controls. */
export type Ec2Handler = RequestListener & {
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

function checkEnvelope(action: string | undefined, version: string | undefined): void {
  if (!action) throw ec2Errors.missingAction();
  if (version === undefined) throw ec2Errors.missingParameter('Version');
  if (version !== EC2_API_VERSION) throw ec2Errors.noSuchVersion(version);
}

function failureError(failure: FaultDecision['failure']): Ec2ApiError | undefined {
  if (failure === 'throttle') return ec2Errors.throttled();
  if (failure === 'server-error') return ec2Errors.internal();
  if (failure === 'unavailable') return ec2Errors.unavailable();
  return undefined;
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    'Content-Type': 'text/xml;charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    Server: 'AmazonEC2',
  });
  res.end(body);
}

export function createEc2Handler(state: Ec2State, options: Ec2HandlerOptions = {}): Ec2Handler {
  const log = options.log ?? ((message: string) => process.stderr.write(`[lab ec2] ${message}\n`));
  const faults = new Ec2Faults(options.random);
  const delays = new ResponseDelays();
  const busy = new BusyClock();
  let records: CallRecord[] = [];
  let seq = 0;
  /** Runs the action (unless a fault stands in for it) and renders the answer; undefined `reply` = hang. */
  function respond(
    params: Record<string, string>,
    requestId: string,
  ): { reply?: Reply; fault: FaultDecision } {
    const { Action: action = '', Version: version, ...rest } = params;
    let fault: FaultDecision = { latencyMs: 0 };
    try {
      checkEnvelope(action, version);
      fault = faults.decide(action);
      if (fault.failure === 'hang') return { fault };
      const injected = failureError(fault.failure);
      if (injected) throw injected;
      return {
        reply: { status: 200, body: renderResponse(action, requestId, runAction(state, action, rest)) },
        fault,
      };
    } catch (error) {
      if (!(error instanceof Ec2ApiError))
        log(`${action} failed unexpectedly: ${(error as Error).stack ?? error}`);
      const apiError = error instanceof Ec2ApiError ? error : ec2Errors.internal();
      const body = renderError(apiError.code, apiError.message, requestId);
      return { reply: { status: apiError.httpStatus, body, errorCode: apiError.code }, fault };
    }
  }

  async function answer(res: ServerResponse, params: Record<string, string>): Promise<Outcome> {
    const requestId = newRequestId();
    const { reply, fault } = respond(params, requestId);
    if (!reply) {
      await delays.hang(res, fault.hangMs);
      return NO_ANSWER;
    }
    if (!(await delays.pause(res, state.timings.baseLatencyMs + fault.latencyMs))) return NO_ANSWER;
    send(res, reply.status, reply.body, requestId);
    return { status: reply.status, errorCode: reply.errorCode };
  }

  const handler: RequestListener = (req, res) => {
    const startedAt = Date.now();
    const started = performance.now();
    busy.enter();
    const record = (params: Record<string, string>, outcome: Outcome) => {
      const { Action: action = '', Version: _version, ...rest } = params;
      records.push({
        seq: ++seq,
        action,
        params: rest,
        source: sourceAddress(req),
        startedAt,
        durationMs: performance.now() - started,
        status: outcome.status,
        errorCode: outcome.errorCode,
        mutating: isMutating(action),
        dryRun: rest.DryRun === 'true',
      });
    };
    readParams(req)
      .then(async (params) => record(params, await answer(res, params)))
      .catch((error: unknown) => {
        log(`request failed: ${String(error)}`);
        const requestId = newRequestId();
        send(res, 400, renderError('MalformedQueryString', String(error), requestId), requestId);
        record({}, { status: 400, errorCode: 'MalformedQueryString' });
      })
      .finally(() => busy.leave());
  };

  return Object.assign(handler, {
    faults,
    calls: () => [...records],
    clearCalls: () => {
      records = [];
      busy.reset();
    },
    busyMs: () => busy.busyMs,
    dispose: () => delays.dispose(),
  });
}

export type Ec2Server = RunningServer & { handler: Ec2Handler };

/** Serves `state` on host/port (default 127.0.0.1:0) or on a handed-over listening handle. */
export function startEc2Server(
  options: { state: Ec2State; handlerOptions?: Ec2HandlerOptions } & ListenTarget,
): Promise<Ec2Server> {
  const { state, handlerOptions, ...target } = options;
  return serveEndpoint(createEc2Handler(state, handlerOptions), target);
}
