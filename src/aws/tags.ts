/** The tags that mark an instance as efsync's, and as one stack's. */

export const MANAGED_BY = { Key: 'managed-by', Value: 'efsync' } as const;
/**
 * The tag naming the CloudFormation stack (the `stack` input) whose role launched the instance. The template's role may
 * launch only with it and reaches (SendCommand, CreateTags, TerminateInstances) only instances that carry it, so one
 * stack's role never runs commands on another stack's instance; warm reuse and the sweep look at the stack's own only.
 */
export const STACK_TAG = 'efsync:stack';

/** The DescribeInstances filters for the efsync instances of one stack. */
export function stackFilters(stack: string): { Name: string; Values: string[] }[] {
  return [
    { Name: `tag:${MANAGED_BY.Key}`, Values: [MANAGED_BY.Value] },
    { Name: `tag:${STACK_TAG}`, Values: [stack] },
  ];
}
