// The EC2 actions the lab serves: Query parameters in, Ec2State call, response body (as XML structure) out.
import { ec2Errors } from './errors.ts';
import { LAB_INSTANCE_TYPES } from './instance-types.ts';
import {
  assertKnownParams,
  boolParam,
  filtersParam,
  intParam,
  listParam,
  type QueryParams,
  requireIntParam,
  requireParam,
  structListParam,
  subParams,
  tagListParam,
  tagsParam,
} from './query-params.ts';
import { eniXml, imageXml, instanceTypeXml, reservationXml, stateChangeXml, subnetXml } from './serialize.ts';
import type { DescribeRequest, Ec2State } from './state.ts';
import type { XmlObject } from './xml.ts';

export interface ActionDef {
  /** Top-level parameter names the action takes (besides DryRun). */
  params: readonly string[];
  run(state: Ec2State, params: QueryParams): XmlObject;
}

const DONE: XmlObject = { return: true };

function describeRequest(params: QueryParams, idParam: string): DescribeRequest {
  return {
    ids: listParam(params, idParam),
    filters: filtersParam(params),
    maxResults: intParam(params, 'MaxResults'),
    nextToken: params.NextToken,
  };
}

function requireList(params: QueryParams, name: string): string[] {
  const values = listParam(params, name);
  if (values.length === 0) throw ec2Errors.missingParameter(name);
  return values;
}

/** `TagSpecification.N` for one resource type; another type is refused as EC2 refuses it. */
function tagSpecifications(params: QueryParams, resourceType: string) {
  return structListParam(params, 'TagSpecification').flatMap((spec) => {
    if (spec.ResourceType !== resourceType) {
      throw ec2Errors.invalidValue(
        `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
    return tagsParam(spec, 'Tag');
  });
}

/** `Name.Value` structure members (e.g. `Description.Value`). */
function valueMember(params: QueryParams, name: string): string | undefined {
  return subParams(params, name).Value;
}

function boolValueMember(params: QueryParams, name: string): boolean | undefined {
  return boolParam(subParams(params, name), 'Value');
}

function modifyAttachment(params: QueryParams) {
  const attachment = subParams(params, 'Attachment');
  if (Object.keys(attachment).length === 0) return undefined;
  const deleteOnTermination = boolParam(attachment, 'DeleteOnTermination');
  if (deleteOnTermination === undefined) throw ec2Errors.missingParameter('Attachment.DeleteOnTermination');
  return { attachmentId: requireParam(attachment, 'AttachmentId'), deleteOnTermination };
}

const DESCRIBE_PARAMS = ['Filter', 'MaxResults', 'NextToken', 'IncludeManagedResources'];

export const ACTIONS: Readonly<Record<string, ActionDef>> = {
  DescribeInstances: {
    params: ['InstanceId', ...DESCRIBE_PARAMS],
    run(state, params) {
      const page = state.describeInstances(describeRequest(params, 'InstanceId'));
      return {
        reservationSet: page.items.map((instance) => reservationXml(state, instance)),
        nextToken: page.nextToken,
      };
    },
  },
  TerminateInstances: {
    params: ['InstanceId', 'Force', 'SkipOsShutdown'],
    run(state, params) {
      boolParam(params, 'Force');
      boolParam(params, 'SkipOsShutdown');
      const changes = state.terminateInstances(requireList(params, 'InstanceId'));
      return { instancesSet: changes.map(stateChangeXml) };
    },
  },
  DescribeSubnets: {
    params: ['SubnetId', ...DESCRIBE_PARAMS],
    run(state, params) {
      const page = state.describeSubnets(describeRequest(params, 'SubnetId'));
      return { subnetSet: page.items.map((subnet) => subnetXml(state, subnet)), nextToken: page.nextToken };
    },
  },
  ModifySubnetAttribute: {
    params: [
      'SubnetId',
      'EnableLniAtDeviceIndex',
      'DisableLniAtDeviceIndex',
      'MapPublicIpOnLaunch',
      'AssignIpv6AddressOnCreation',
      'MapCustomerOwnedIpOnLaunch',
      'CustomerOwnedIpv4Pool',
      'EnableDns64',
      'PrivateDnsHostnameTypeOnLaunch',
      'EnableResourceNameDnsARecordOnLaunch',
      'EnableResourceNameDnsAAAARecordOnLaunch',
    ],
    run(state, params) {
      state.modifySubnetAttribute({
        subnetId: requireParam(params, 'SubnetId'),
        enableLniAtDeviceIndex: intParam(params, 'EnableLniAtDeviceIndex'),
        disableLniAtDeviceIndex: boolValueMember(params, 'DisableLniAtDeviceIndex'),
      });
      return DONE;
    },
  },
  DescribeInstanceTypes: {
    params: ['InstanceType', 'IncludeUnsupportedInRegion', ...DESCRIBE_PARAMS],
    run(_state, params) {
      const wanted = listParam(params, 'InstanceType');
      const unknown = wanted.filter((t) => !LAB_INSTANCE_TYPES.some((x) => x.instanceType === t));
      if (unknown.length)
        throw ec2Errors.invalidValue(
          `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
        );
      const types = wanted.length
        ? LAB_INSTANCE_TYPES.filter((x) => wanted.includes(x.instanceType))
        : LAB_INSTANCE_TYPES;
      return { instanceTypeSet: types.map(instanceTypeXml) };
    },
  },
  DescribeImages: {
    params: ['ImageId', 'Owner', 'ExecutableBy', 'IncludeDeprecated', 'IncludeDisabled', ...DESCRIBE_PARAMS],
    run(state, params) {
      const images = state.describeImages({
        ids: listParam(params, 'ImageId'),
        filters: filtersParam(params),
      });
      return { imagesSet: images.map((image) => imageXml(state, image)) };
    },
  },
  CreateNetworkInterface: {
    params: [
      'SubnetId',
      'Description',
      'PrivateIpAddress',
      'SecurityGroupId',
      'TagSpecification',
      'ClientToken',
    ],
    run(state, params) {
      const { eni, clientToken } = state.createNetworkInterface({
        subnetId: requireParam(params, 'SubnetId'),
        description: params.Description,
        privateIpAddress: params.PrivateIpAddress,
        tags: tagSpecifications(params, 'network-interface'),
        clientToken: params.ClientToken,
      });
      return { networkInterface: eniXml(state, eni), clientToken };
    },
  },
  DescribeNetworkInterfaces: {
    params: ['NetworkInterfaceId', ...DESCRIBE_PARAMS],
    run(state, params) {
      const page = state.describeNetworkInterfaces(describeRequest(params, 'NetworkInterfaceId'));
      return {
        networkInterfaceSet: page.items.map((eni) => eniXml(state, eni)),
        nextToken: page.nextToken,
      };
    },
  },
  AttachNetworkInterface: {
    params: ['NetworkInterfaceId', 'InstanceId', 'DeviceIndex', 'NetworkCardIndex'],
    run(state, params) {
      const networkCardIndex = intParam(params, 'NetworkCardIndex') ?? 0;
      if (networkCardIndex !== 0) throw ec2Errors.invalidValue('The lab models network card 0 only.');
      const { attachmentId } = state.attachNetworkInterface({
        networkInterfaceId: requireParam(params, 'NetworkInterfaceId'),
        instanceId: requireParam(params, 'InstanceId'),
        deviceIndex: requireIntParam(params, 'DeviceIndex'),
      });
      return { attachmentId, networkCardIndex };
    },
  },
  DetachNetworkInterface: {
    params: ['AttachmentId', 'Force'],
    run(state, params) {
      state.detachNetworkInterface({
        attachmentId: requireParam(params, 'AttachmentId'),
        force: boolParam(params, 'Force'),
      });
      return DONE;
    },
  },
  ModifyNetworkInterfaceAttribute: {
    params: ['NetworkInterfaceId', 'Attachment', 'Description', 'SourceDestCheck'],
    run(state, params) {
      state.modifyNetworkInterfaceAttribute({
        networkInterfaceId: requireParam(params, 'NetworkInterfaceId'),
        attachment: modifyAttachment(params),
        description: valueMember(params, 'Description'),
        sourceDestCheck: boolValueMember(params, 'SourceDestCheck'),
      });
      return DONE;
    },
  },
  DeleteNetworkInterface: {
    params: ['NetworkInterfaceId'],
    run(state, params) {
      state.deleteNetworkInterface(requireParam(params, 'NetworkInterfaceId'));
      return DONE;
    },
  },
  CreateTags: {
    params: ['ResourceId', 'Tag'],
    run(state, params) {
      const tags = tagsParam(params, 'Tag');
      if (tags.length === 0) throw ec2Errors.missingParameter('Tag');
      state.createTags(requireList(params, 'ResourceId'), tags);
      return DONE;
    },
  },
  DeleteTags: {
    params: ['ResourceId', 'Tag'],
    run(state, params) {
      state.deleteTags(requireList(params, 'ResourceId'), tagListParam(params, 'Tag'));
      return DONE;
    },
  },
};

/** Parses and runs one action for the caller at `callerIp`; throws Ec2ApiError for anything EC2 would refuse. */
export function runAction(
  state: Ec2State,
  action: string,
  params: QueryParams,
  callerIp?: string,
): XmlObject {
  const def = ACTIONS[action];
  if (!def) throw ec2Errors.invalidAction(action);
  assertKnownParams(params, ['DryRun', ...def.params]);
  state.authorize(action, params, callerIp, boolParam(params, 'DryRun') ?? false);
  return def.run(state, params);
}

export const isMutating = (action: string): boolean => !action.startsWith('Describe');
