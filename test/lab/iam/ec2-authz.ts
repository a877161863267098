// What an EC2 request asks IAM: its action, the resources it acts on (Service Authorization Reference) and their keys.
//
// Resource types per action (Service Authorization Reference for Amazon EC2, as iann0036/iam-dataset
// aws/iam_definition.json carries it at 08eff2d): CreateNetworkInterface: network-interface*, subnet*
// (security-group when given) and, with tags, the dependent ec2:CreateTags on the new network interface with
// ec2:CreateAction; CreateTags: each tagged resource; AttachNetworkInterface and DetachNetworkInterface:
// instance*, network-interface*; ModifyNetworkInterfaceAttribute: network-interface* (instance, optional, when
// the attachment is changed); DeleteNetworkInterface: network-interface*; Describe*: no resource-level
// permissions ("*"). A resource being created is `…/network-interface/*` (as EC2's own denials name it).

import { listParam, type QueryParams, structListParam, subParams, tagsParam } from '../ec2/query-params.ts';
import type { Ec2State } from '../ec2/state.ts';
import type { LabTag } from '../types.ts';
import type { AuthzRequest, AuthzResource, Context } from './evaluate.ts';

const tagContext = (prefix: string, tags: readonly LabTag[]): Context =>
  Object.fromEntries(tags.map((t) => [`${prefix}/${t.key}`, t.value]));

const requestTags = (tags: readonly LabTag[]): Context => ({
  ...tagContext('aws:RequestTag', tags),
  'aws:TagKeys': tags.map((t) => t.key),
});

export function ec2Arn(state: Ec2State, type: string, id: string): string {
  return `arn:aws:ec2:${state.region}:${state.accountId}:${type}/${id}`;
}

function eniResource(state: Ec2State, eniId: string): AuthzResource {
  const eni = state.getEni(eniId);
  return {
    arn: ec2Arn(state, 'network-interface', eniId),
    context: tagContext('aws:ResourceTag', eni?.tags ?? []),
  };
}

function instanceResource(state: Ec2State, instanceId: string): AuthzResource {
  const instance = state.getInstance(instanceId);
  return {
    arn: ec2Arn(state, 'instance', instanceId),
    context: tagContext('aws:ResourceTag', instance?.tags ?? []),
  };
}

/** The authorization requests one EC2 call makes (each must be allowed). */
export function ec2AuthzRequests(state: Ec2State, action: string, params: QueryParams): AuthzRequest[] {
  const name = `ec2:${action}`;
  switch (action) {
    case 'CreateNetworkInterface': {
      const tags = structListParam(params, 'TagSpecification').flatMap((spec) => tagsParam(spec, 'Tag'));
      const created: AuthzResource = {
        arn: ec2Arn(state, 'network-interface', '*'),
        context: requestTags(tags),
      };
      const subnet = params.SubnetId ? [{ arn: ec2Arn(state, 'subnet', params.SubnetId) }] : [];
      const groups = listParam(params, 'SecurityGroupId').map((g) => ({
        arn: ec2Arn(state, 'security-group', g),
      }));
      return [
        { action: name, resources: [created, ...subnet, ...groups], context: requestTags(tags) },
        ...(tags.length
          ? [
              {
                action: 'ec2:CreateTags',
                resources: [created],
                context: { ...requestTags(tags), 'ec2:CreateAction': 'CreateNetworkInterface' },
              },
            ]
          : []),
      ];
    }
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = tagsParam(params, 'Tag');
      const resources = listParam(params, 'ResourceId').map((id) =>
        id.startsWith('eni-') ? eniResource(state, id) : instanceResource(state, id),
      );
      return [{ action: name, resources, context: requestTags(tags) }];
    }
    case 'AttachNetworkInterface':
      return [
        {
          action: name,
          resources: [
            eniResource(state, params.NetworkInterfaceId ?? ''),
            instanceResource(state, params.InstanceId ?? ''),
          ],
        },
      ];
    case 'DetachNetworkInterface': {
      const eni = state.allEnis().find((e) => e.attachment?.attachmentId === params.AttachmentId);
      const resources = eni
        ? [
            eniResource(state, eni.networkInterfaceId),
            instanceResource(state, eni.attachment?.instanceId ?? ''),
          ]
        : [{ arn: ec2Arn(state, 'network-interface', '*') }];
      return [{ action: name, resources }];
    }
    case 'ModifyNetworkInterfaceAttribute': {
      const id = params.NetworkInterfaceId ?? '';
      const attached = state.getEni(id)?.attachment?.instanceId;
      const changesAttachment = Object.keys(subParams(params, 'Attachment')).length > 0;
      return [
        {
          action: name,
          resources: [
            eniResource(state, id),
            ...(changesAttachment && attached ? [instanceResource(state, attached)] : []),
          ],
        },
      ];
    }
    case 'DeleteNetworkInterface':
      return [{ action: name, resources: [eniResource(state, params.NetworkInterfaceId ?? '')] }];
    default:
      return [{ action: name, resources: [{ arn: '*' }] }];
  }
}
