// The Auto Scaling actions the lab serves: Query parameters in, AutoScalingState call, result (as XML structure) out.
import { assertKnownParams, intParam, listParam, type QueryParams, subParams } from '../ec2/query-params.ts';
import type { XmlObject } from '../ec2/xml.ts';
import { autoScalingErrors } from './errors.ts';
import type { ActionTarget, AutoScalingState, LabLifecycleHook } from './state.ts';

interface ActionDef {
  /** Top-level parameter names the action takes. */
  params: readonly string[];
  run(state: AutoScalingState, params: QueryParams): XmlObject;
}

/** awsQuery lists travel as `Name.member.N`. */
const memberList = (params: QueryParams, name: string): string[] =>
  listParam(subParams(params, name), 'member');

/** A required member; `member` is its name in the validation message (lowerCamel, as AWS words it). */
function required(params: QueryParams, name: string): string {
  const value = params[name];
  if (value === undefined || value === '')
    throw autoScalingErrors.missingParameter(name.charAt(0).toLowerCase() + name.slice(1));
  return value;
}

function actionTarget(params: QueryParams): ActionTarget {
  return {
    group: required(params, 'AutoScalingGroupName'),
    hook: required(params, 'LifecycleHookName'),
    token: params.LifecycleActionToken || undefined,
    instanceId: params.InstanceId || undefined,
  };
}

const hookXml = (hook: LabLifecycleHook): XmlObject => ({
  LifecycleHookName: hook.name,
  AutoScalingGroupName: hook.group,
  LifecycleTransition: hook.transition,
  HeartbeatTimeout: hook.heartbeatTimeout,
  GlobalTimeout: hook.globalTimeout,
  DefaultResult: hook.defaultResult,
});

const TARGET_PARAMS = ['AutoScalingGroupName', 'LifecycleHookName', 'LifecycleActionToken', 'InstanceId'];

const ACTIONS: Readonly<Record<string, ActionDef>> = {
  DescribeAutoScalingInstances: {
    params: ['InstanceIds', 'MaxRecords', 'NextToken'],
    run(state, params) {
      const page = state.describeAutoScalingInstances({
        instanceIds: memberList(params, 'InstanceIds'),
        maxRecords: intParam(params, 'MaxRecords'),
        nextToken: params.NextToken,
      });
      return {
        AutoScalingInstances: page.items.map((m) => ({
          InstanceId: m.instanceId,
          InstanceType: m.instance?.instanceType,
          AutoScalingGroupName: m.group,
          AvailabilityZone: m.instance?.availabilityZone,
          LifecycleState: m.lifecycleState,
          HealthStatus: 'HEALTHY',
          ProtectedFromScaleIn: false,
        })),
        NextToken: page.nextToken,
      };
    },
  },
  DescribeLifecycleHooks: {
    params: ['AutoScalingGroupName', 'LifecycleHookNames'],
    run(state, params) {
      const hooks = state.describeLifecycleHooks(
        required(params, 'AutoScalingGroupName'),
        memberList(params, 'LifecycleHookNames'),
      );
      return { LifecycleHooks: hooks.map(hookXml) };
    },
  },
  RecordLifecycleActionHeartbeat: {
    params: TARGET_PARAMS,
    run(state, params) {
      state.recordLifecycleActionHeartbeat(actionTarget(params));
      return {};
    },
  },
  CompleteLifecycleAction: {
    params: [...TARGET_PARAMS, 'LifecycleActionResult'],
    run(state, params) {
      state.completeLifecycleAction({
        ...actionTarget(params),
        result: required(params, 'LifecycleActionResult'),
      });
      return {};
    },
  },
};

/** Parses and runs one action for the caller at `callerIp`; throws AutoScalingApiError for anything refused. */
export function runAction(
  state: AutoScalingState,
  action: string,
  params: QueryParams,
  callerIp?: string,
): XmlObject {
  const def = ACTIONS[action];
  if (!def) throw autoScalingErrors.invalidAction(action);
  assertKnownParams(params, def.params, autoScalingErrors.unknownParameter);
  state.authorize(action, params, callerIp);
  return def.run(state, params);
}

export const isMutating = (action: string): boolean => !action.startsWith('Describe');
