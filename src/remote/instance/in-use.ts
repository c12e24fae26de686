/**
 * Whether another run is using a warm instance, asked by a run's teardown before it terminates the instance it used:
 * a failed run must not end an instance that another run's command is running on.
 *
 * Only an instance tagged `efsync:warm-until` can be another run's: no other run finds one without it (warm.ts). On
 * such an instance another run is at work when SSM lists a command of another comment than this run's as Pending,
 * InProgress, Delayed or Cancelling on it (ListCommandInvocations with the instance's id, every page; each efsync
 * command's comment is `efsync <run id>`, ssm.ts), or when its `efsync:last-run` tag names another run that has no
 * command on it yet: that run reused it a moment ago and is still staging (its command not sent, or not listed yet:
 * SSM takes a moment to list a new invocation). Such an instance is left running: the other run decides its fate, and
 * its dead-man switch (switch.ts) ends it once no run needs it.
 */
import { DescribeInstancesCommand, type DescribeInstancesCommandOutput } from '@aws-sdk/client-ec2';
import { type CommandInvocation, paginateListCommandInvocations } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { isNotFound } from '../../aws/errors.js';
import { RUNNING } from './ssm.js';
import { commandComment, LAST_RUN, WARM_UNTIL } from './tags.js';

/** Why another run is using the instance, or undefined when none is (pure; see above). */
export function otherUser(
  runId: string,
  tags: Record<string, string>,
  invocations: { CommandId?: string | undefined; Comment?: string | undefined; Status?: string | undefined }[],
): string | undefined {
  if (tags[WARM_UNTIL] === undefined) return undefined;
  const own = commandComment(runId);
  const busy = invocations.find((i) => RUNNING.has(i.Status ?? '') && i.Comment !== own);
  if (busy) return `command ${busy.CommandId} (${busy.Comment ?? 'no comment'}) is ${busy.Status} on it`;
  const last = tags[LAST_RUN];
  if (last && last !== runId && !invocations.some((i) => i.Comment === commandComment(last)))
    return `run ${last} reused it and has not sent its command yet`;
  return undefined;
}

/** Reads the instance's tags and SSM's invocations on it, and says why another run is using it, if one is. */
export async function otherRunUsing(
  clients: AwsClients,
  instanceId: string,
  runId: string,
): Promise<string | undefined> {
  let found: DescribeInstancesCommandOutput;
  try {
    found = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    // Gone, or not listed yet (EC2 is eventually consistent): no other run can be using it.
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const instance = found.Reservations?.[0]?.Instances?.[0];
  const tags = Object.fromEntries((instance?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  if (tags[WARM_UNTIL] === undefined) return undefined;
  const invocations: CommandInvocation[] = [];
  // Pages of the model's largest size (MaxResults 1 to 50, ssm service-2.json): fewer calls on a long-lived instance.
  const paging = { client: clients.ssm, pageSize: 50 };
  for await (const page of paginateListCommandInvocations(paging, { InstanceId: instanceId }))
    invocations.push(...(page.CommandInvocations ?? []));
  return otherUser(runId, tags, invocations);
}
