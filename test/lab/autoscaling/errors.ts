// Auto Scaling API errors as the awsQuery protocol reports them: a code, a message, Sender/Receiver and an HTTP status.
import type { QueryApiError } from '../ec2/query-endpoint.ts';

export class AutoScalingApiError extends Error implements QueryApiError {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    /** `<Type>` in the error envelope: Sender (the caller's fault) or Receiver (the service's). */
    readonly type: 'Sender' | 'Receiver' = httpStatus < 500 ? 'Sender' : 'Receiver',
  ) {
    super(message);
    this.name = 'AutoScalingApiError';
  }
}

/** Every validation failure of Auto Scaling is a 400 ValidationError; only the message tells them apart. */
const validation = (message: string) => new AutoScalingApiError('ValidationError', message);

/** Constructors for the errors the lab answers with; codes and (where seen in the wild) wording follow AWS. */
export const autoScalingErrors = {
  validation,
  /** IAM's denial as Auto Scaling words it (403 AccessDenied, "User: … is not authorized to perform: …"). */
  accessDenied: (action: string, principal: string | undefined, resource: string, explicitDeny: boolean) =>
    new AutoScalingApiError(
      'AccessDenied',
      `User: ${principal ?? 'anonymous'} is not authorized to perform: ${action}${resource === '*' ? '' : ` on resource: ${resource}`} ${explicitDeny ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`}`,
      403,
    ),
  /** Coral's generic constraint message, as AWS's Query services word a missing required member. */
  missingParameter: (member: string) =>
    validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    ),
  maxRecords: (value: number, max: number) =>
    validation(
      `1 validation error detected: Value '${value}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    ),
  unknownParameter: (name: string) =>
    new AutoScalingApiError(
      'InvalidParameterValue',
      `The parameter ${name} is not recognized (by the lab's Auto Scaling endpoint)`,
    ),
  groupNotFound: (group: string) =>
    validation(`AutoScalingGroup name not found - AutoScalingGroup '${group}' not found`),
  /**
   * What CompleteLifecycleAction and RecordLifecycleActionHeartbeat answer when no action is waiting: seen in
   * AWS's answers quoted in convox/rack#2432 (instance ID) and spacelift-io/terraform-aws-spacelift-workerpool-on-ec2#197 (token).
   */
  noActiveActionForInstance: (instanceId: string) =>
    validation(`No active Lifecycle Action found with instance ID ${instanceId}`),
  noActiveActionForToken: (token: string) =>
    validation(`No active Lifecycle Action found with token ${token}`),
  tokenOrInstance: () => validation('Either LifecycleActionToken or InstanceId must be specified'),
  invalidResult: (result: string) =>
    validation(`Invalid LifecycleActionResult '${result}': must be CONTINUE or ABANDON`),
  invalidNextToken: () => new AutoScalingApiError('InvalidNextToken', 'The NextToken value is invalid'),
  missingAction: () =>
    new AutoScalingApiError('MissingAction', 'The request must contain the parameter Action'),
  invalidAction: (action: string) =>
    new AutoScalingApiError('InvalidAction', `The action ${action} is not valid for this web service.`),
  noSuchVersion: (version: string) =>
    new AutoScalingApiError(
      'NoSuchVersion',
      `The requested version (${version}) of service AutoScaling does not exist`,
    ),
  throttled: () => new AutoScalingApiError('Throttling', 'Rate exceeded'),
  internal: () => new AutoScalingApiError('InternalFailure', 'An internal error has occurred', 500),
  unavailable: () =>
    new AutoScalingApiError('ServiceUnavailable', 'The service is unavailable. Please try again later.', 503),
  malformed: (message: string) => new AutoScalingApiError('MalformedQueryString', message),
};
