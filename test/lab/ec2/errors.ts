// EC2 API errors as the Query API reports them: a code, a message and the HTTP status that carries them.
export class Ec2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'Ec2ApiError';
  }
}

const quoteList = (ids: readonly string[]): string => ids.join(', ');

/** Constructors for the errors the lab answers with; codes and wording follow what AWS returns. */
export const ec2Errors = {
  missingParameter: (name: string) =>
    new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`),
  unknownParameter: (name: string) =>
    new Ec2ApiError(
      'UnknownParameter',
      `The parameter ${name} is not recognized (by the lab's EC2 endpoint)`,
    ),
  invalidValue: (message: string) => new Ec2ApiError('InvalidParameterValue', message),
  invalidCombination: (message: string) => new Ec2ApiError('InvalidParameterCombination', message),
  unsupported: (message: string) => new Ec2ApiError('UnsupportedOperation', message),
  invalidAction: (action: string) =>
    new Ec2ApiError('InvalidAction', `The action ${action} is not valid for this web service.`),
  missingAction: () => new Ec2ApiError('MissingAction', 'The request must contain the parameter Action'),
  noSuchVersion: (version: string) =>
    new Ec2ApiError(
      'NoSuchVersion',
      `The requested version (${version}) of service AmazonEC2 does not exist`,
    ),
  dryRun: () =>
    new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  /**
   * EC2's wording (as in real denials: "User: <principal> is not authorized to perform: ec2:X on resource: <arn>
   * because no identity-based policy allows the ec2:X action. Encoded authorization failure message: …"; an
   * explicit deny reads "with an explicit deny in an identity-based policy").
   */
  unauthorized: (
    action: string,
    detail: { principal?: string; resource?: string; explicitDeny?: boolean } = {},
  ) => {
    const who = detail.principal ? `User: ${detail.principal}` : 'User';
    const on = detail.resource ? ` on resource: ${detail.resource}` : '';
    const why = detail.explicitDeny
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ec2:${action} action`;
    const encoded = Buffer.from(
      JSON.stringify({
        allowed: false,
        explicitDeny: Boolean(detail.explicitDeny),
        action: `ec2:${action}`,
        resource: detail.resource,
      }),
    ).toString('base64');
    return new Ec2ApiError(
      'UnauthorizedOperation',
      `You are not authorized to perform this operation. ${who} is not authorized to perform: ec2:${action}${on} ${why}. Encoded authorization failure message: ${encoded}`,
      403,
    );
  },
  malformedId: (code: string, id: string, prefix: string) =>
    new Ec2ApiError(code, `Invalid id: "${id}" (expecting "${prefix}-...")`),
  eniNotFound: (id: string) =>
    new Ec2ApiError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`),
  instanceNotFound: (ids: readonly string[]) =>
    ids.length === 1
      ? new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${ids[0]}' does not exist`)
      : new Ec2ApiError('InvalidInstanceID.NotFound', `The instance IDs '${quoteList(ids)}' do not exist`),
  subnetNotFound: (id: string) =>
    new Ec2ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  imageNotFound: (ids: readonly string[]) =>
    new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${quoteList(ids)}]' does not exist`),
  attachmentNotFound: (id: string) =>
    new Ec2ApiError('InvalidAttachmentID.NotFound', `The attachment ID '${id}' does not exist`),
  eniInUse: (id: string) => new Ec2ApiError('InvalidNetworkInterface.InUse', `Interface: [${id}] in use.`),
  eniCurrentlyInUse: (id: string) =>
    new Ec2ApiError('InvalidParameterValue', `Network interface '${id}' is currently in use.`),
  incorrectInstanceState: (id: string) =>
    new Ec2ApiError(
      'IncorrectInstanceState',
      `The instance '${id}' is not in a valid state for this operation.`,
    ),
  idempotentMismatch: () =>
    new Ec2ApiError(
      'IdempotentParameterMismatch',
      'The client token you have provided is associated with a resource that has different parameters.',
    ),
  operationNotPermitted: (message: string) => new Ec2ApiError('OperationNotPermitted', message),
  addressInUse: () => new Ec2ApiError('InvalidIPAddress.InUse', 'The specified address is already in use.'),
  subnetFull: (id: string) =>
    new Ec2ApiError(
      'InsufficientFreeAddressesInSubnet',
      `The specified subnet ${id} does not have enough free addresses to satisfy the request.`,
    ),
  invalidPaginationToken: (token: string) =>
    new Ec2ApiError('InvalidPaginationToken', `Invalid pagination token: ${token}`),
  tagLimitExceeded: () =>
    new Ec2ApiError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.'),
  invalidId: (id: string) => new Ec2ApiError('InvalidID', `The ID '${id}' is not valid`),
  throttled: () => new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503),
  internal: () => new Ec2ApiError('InternalError', 'An internal error has occurred', 500),
  unavailable: () =>
    new Ec2ApiError('Unavailable', 'The server is overloaded and cannot handle the request.', 503),
};
