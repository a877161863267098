// The lab's Auto Scaling Query API endpoint (awsQuery, 2011-01-01): the shared Query core with Auto Scaling's envelopes.
import { type ListenTarget, type RunningServer, serveEndpoint } from '../ec2/http-util.ts';
import {
  createQueryHandler,
  type QueryHandler,
  type QueryHandlerOptions,
  type QueryService,
} from '../ec2/query-endpoint.ts';
import { escapeXml, renderChildren, XML_DECLARATION, type XmlObject } from '../ec2/xml.ts';
import { isMutating, runAction } from './actions.ts';
import { AutoScalingApiError, autoScalingErrors } from './errors.ts';
import type { AutoScalingState } from './state.ts';

export const AUTO_SCALING_API_VERSION = '2011-01-01';
export const AUTO_SCALING_XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export type AutoScalingHandler = QueryHandler;

/** `<XResponse xmlns=…><XResult>…</XResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></XResponse>` */
export function renderAutoScalingResponse(action: string, requestId: string, result: XmlObject): string {
  const inner = renderChildren(
    { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } },
    1,
    'member',
  );
  return `${XML_DECLARATION}\n<${action}Response xmlns="${AUTO_SCALING_XMLNS}">${inner}\n</${action}Response>\n`;
}

/** The awsQuery error envelope: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. */
export function renderAutoScalingError(error: AutoScalingApiError, requestId: string): string {
  return (
    `${XML_DECLARATION}\n<ErrorResponse xmlns="${AUTO_SCALING_XMLNS}"><Error>` +
    `<Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>\n`
  );
}

function autoScalingService(state: AutoScalingState, baseLatencyMs: () => number): QueryService {
  return {
    name: 'autoscaling',
    serverHeader: 'AmazonAutoScaling',
    checkEnvelope(action, version) {
      if (!action) throw autoScalingErrors.missingAction();
      if (version === undefined) throw autoScalingErrors.missingParameter('version');
      if (version !== AUTO_SCALING_API_VERSION) throw autoScalingErrors.noSuchVersion(version);
    },
    respond: (action, params, requestId, source) =>
      renderAutoScalingResponse(action, requestId, runAction(state, action, params, source)),
    renderError: (error, requestId) =>
      renderAutoScalingError(
        error instanceof AutoScalingApiError
          ? error
          : new AutoScalingApiError(error.code, error.message, error.httpStatus),
        requestId,
      ),
    apiError: (error) => (error instanceof AutoScalingApiError ? error : undefined),
    faultError(failure) {
      if (failure === 'throttle') return autoScalingErrors.throttled();
      if (failure === 'server-error') return autoScalingErrors.internal();
      if (failure === 'unavailable') return autoScalingErrors.unavailable();
      return undefined;
    },
    internal: autoScalingErrors.internal,
    malformed: autoScalingErrors.malformed,
    isMutating,
    baseLatencyMs,
  };
}

export interface AutoScalingHandlerOptions extends QueryHandlerOptions {
  /** Latency added to every answer (default: none). */
  baseLatencyMs?: () => number;
}

export function createAutoScalingHandler(
  state: AutoScalingState,
  options: AutoScalingHandlerOptions = {},
): AutoScalingHandler {
  const { baseLatencyMs = () => 0, ...handlerOptions } = options;
  return createQueryHandler(autoScalingService(state, baseLatencyMs), handlerOptions);
}

export type AutoScalingServer = RunningServer & { handler: AutoScalingHandler };

/** Serves `state` on host/port (default 127.0.0.1:0) or on a handed-over listening handle. */
export function startAutoScalingServer(
  options: { state: AutoScalingState; handlerOptions?: AutoScalingHandlerOptions } & ListenTarget,
): Promise<AutoScalingServer> {
  const { state, handlerOptions, ...target } = options;
  return serveEndpoint(createAutoScalingHandler(state, handlerOptions), target);
}
