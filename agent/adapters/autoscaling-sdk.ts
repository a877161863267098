// Auto Scaling port on AWS SDK v3, loaded on first use (only `watch` needs it): adaptive retries, bounded requests.
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AgentError, ExitCode } from '../errors.ts';
import type { LifecycleHookFacts } from '../model/lifecycle-hook.ts';
import type { AutoScaling, LifecycleActionAnswer, LifecycleActionTarget } from '../ports/autoscaling.ts';
import { errorCode } from './aws-errors.ts';

/** An Auto Scaling API call failed (after the SDK's retries); an AWS API failure like EC2's, same exit code. */
export class AutoScalingError extends AgentError {
  override readonly exitCode = ExitCode.ec2;
  override readonly kind = 'autoscaling';
}

type AutoScalingApi = typeof import('@aws-sdk/client-auto-scaling');

/** Auto Scaling's answer when no lifecycle action waits for the instance or token (a ValidationError). */
const NO_ACTIVE_ACTION = /No active Lifecycle Action found/i;

export interface AutoScalingAdapterOptions {
  region: string;
  /** Total attempts per call for throttling and 5xx. */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

export class SdkAutoScaling implements AutoScaling {
  private sdk?: Promise<{ api: AutoScalingApi; client: AutoScalingClient }>;

  constructor(private readonly opts: AutoScalingAdapterOptions) {}

  private load() {
    this.sdk ??= import('@aws-sdk/client-auto-scaling').then((api) => ({
      api,
      client: new api.AutoScalingClient({
        region: this.opts.region,
        retryMode: 'adaptive',
        maxAttempts: this.opts.maxAttempts ?? 5,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: 3000,
          requestTimeout: this.opts.requestTimeoutMs ?? 10_000,
          throwOnRequestTimeout: true,
        }),
      }),
    }));
    return this.sdk;
  }

  private async call<T>(
    action: string,
    fn: (sdk: { api: AutoScalingApi; client: AutoScalingClient }) => Promise<T>,
  ): Promise<T> {
    const sdk = await this.load();
    try {
      return await fn(sdk);
    } catch (err) {
      throw wrap(action, err);
    }
  }

  /** Runs a lifecycle-action call; "no active lifecycle action" is an answer, not a failure. */
  private async onAction(
    action: string,
    fn: (sdk: { api: AutoScalingApi; client: AutoScalingClient }) => Promise<unknown>,
  ) {
    try {
      await this.call(action, fn);
      return 'done' satisfies LifecycleActionAnswer;
    } catch (err) {
      const cause = (err as Error).cause;
      if (errorCode(cause) === 'ValidationError' && NO_ACTIVE_ACTION.test((cause as Error).message))
        return 'not-waiting' satisfies LifecycleActionAnswer;
      throw err;
    }
  }

  async groupOf(instanceId: string) {
    const out = await this.call('DescribeAutoScalingInstances', ({ api, client }) =>
      client.send(new api.DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
    );
    return out.AutoScalingInstances?.find((i) => i.InstanceId === instanceId)?.AutoScalingGroupName;
  }

  async lifecycleHooks(group: string, names?: string[]): Promise<LifecycleHookFacts[]> {
    const out = await this.call('DescribeLifecycleHooks', ({ api, client }) =>
      client.send(
        new api.DescribeLifecycleHooksCommand({ AutoScalingGroupName: group, LifecycleHookNames: names }),
      ),
    );
    return (out.LifecycleHooks ?? []).map((h) => ({
      name: h.LifecycleHookName ?? '',
      group: h.AutoScalingGroupName ?? group,
      transition: h.LifecycleTransition ?? '',
      // AWS's default when a hook is created without one.
      heartbeatTimeoutSeconds: h.HeartbeatTimeout ?? 3600,
      defaultResult: h.DefaultResult,
    }));
  }

  recordHeartbeat(target: LifecycleActionTarget) {
    return this.onAction('RecordLifecycleActionHeartbeat', ({ api, client }) =>
      client.send(
        new api.RecordLifecycleActionHeartbeatCommand({
          AutoScalingGroupName: target.group,
          LifecycleHookName: target.hook,
          InstanceId: target.instanceId,
        }),
      ),
    );
  }

  completeLifecycleAction(target: LifecycleActionTarget & { result: 'CONTINUE' | 'ABANDON' }) {
    return this.onAction('CompleteLifecycleAction', ({ api, client }) =>
      client.send(
        new api.CompleteLifecycleActionCommand({
          AutoScalingGroupName: target.group,
          LifecycleHookName: target.hook,
          InstanceId: target.instanceId,
          LifecycleActionResult: target.result,
        }),
      ),
    );
  }
}

function wrap(action: string, err: unknown): AutoScalingError {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return new AutoScalingError(
    `Auto Scaling ${action} failed: ${code && !message.startsWith(code) ? `${code}: ` : ''}${message}`,
    { action, code },
    { cause: err },
  );
}
