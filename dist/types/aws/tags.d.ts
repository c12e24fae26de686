/** The tags that mark an instance as efsync's, and as one stack's. */
export declare const MANAGED_BY: {
    readonly Key: "managed-by";
    readonly Value: "efsync";
};
/**
 * The tag naming the CloudFormation stack (the `stack` input) whose role launched the instance. The template's role may
 * launch only with it and reaches (SendCommand, CreateTags, TerminateInstances) only instances that carry it, so one
 * stack's role never runs commands on another stack's instance; warm reuse and the sweep look at the stack's own only.
 */
export declare const STACK_TAG = "efsync:stack";
/** The DescribeInstances filters for the efsync instances of one stack. */
export declare function stackFilters(stack: string): {
    Name: string;
    Values: string[];
}[];
