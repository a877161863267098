// The lab's EC2 Query API endpoint: form-encoded requests in, EC2 XML out, with fault injection and a call log.
import { isMutating, runAction } from './actions.ts';
import { Ec2ApiError, ec2Errors } from './errors.ts';
import { type ListenTarget, type RunningServer, serveEndpoint } from './http-util.ts';
import {
  createQueryHandler,
  type QueryHandler,
  type QueryHandlerOptions,
  type QueryService,
} from './query-endpoint.ts';
import type { Ec2State } from './state.ts';
import { renderError, renderResponse } from './xml.ts';

export const EC2_API_VERSION = '2016-11-15';

export type Ec2HandlerOptions = QueryHandlerOptions;

/** A Node request listener (mount it on any http.Server) plus the endpoint's controls. */
export type Ec2Handler = QueryHandler;

/** EC2's flavour of the Query protocol: version 2016-11-15, `<Response><Errors>` envelope, EC2 error codes. */
function ec2Service(state: Ec2State): QueryService {
  return {
    name: 'ec2',
    serverHeader: 'AmazonEC2',
    checkEnvelope(action, version) {
      if (!action) throw ec2Errors.missingAction();
      if (version === undefined) throw ec2Errors.missingParameter('Version');
      if (version !== EC2_API_VERSION) throw ec2Errors.noSuchVersion(version);
    },
    respond: (action, params, requestId, source) =>
      renderResponse(action, requestId, runAction(state, action, params, source)),
    renderError: (error, requestId) => renderError(error.code, error.message, requestId),
    apiError: (error) => (error instanceof Ec2ApiError ? error : undefined),
    faultError(failure) {
      if (failure === 'throttle') return ec2Errors.throttled();
      if (failure === 'server-error') return ec2Errors.internal();
      if (failure === 'unavailable') return ec2Errors.unavailable();
      return undefined;
    },
    internal: () => ec2Errors.internal(),
    malformed: (message) => new Ec2ApiError('MalformedQueryString', message),
    isMutating,
    baseLatencyMs: () => state.timings.baseLatencyMs,
  };
}

export function createEc2Handler(state: Ec2State, options: Ec2HandlerOptions = {}): Ec2Handler {
  return createQueryHandler(ec2Service(state), options);
}

export type Ec2Server = RunningServer & { handler: Ec2Handler };

/** Serves `state` on host/port (default 127.0.0.1:0) or on a handed-over listening handle. */
export function startEc2Server(
  options: { state: Ec2State; handlerOptions?: Ec2HandlerOptions } & ListenTarget,
): Promise<Ec2Server> {
  const { state, handlerOptions, ...target } = options;
  return serveEndpoint(createEc2Handler(state, handlerOptions), target);
}
