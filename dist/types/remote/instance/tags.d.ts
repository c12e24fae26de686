/** The keys of the tags efsync writes on its instances and reads back: one place, so a key is never spelled twice. */
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
/** The run that launched the instance. */
export declare const RUN_ID_TAG = "efsync:run-id";
/** The repository whose workflow launched it (GITHUB_REPOSITORY), for whoever finds it in the console. */
export declare const REPOSITORY_TAG = "efsync:repository";
/** The file system it writes: warm reuse and the sweep look at one file system's instances. */
export declare const FILE_SYSTEM_TAG = "efsync:file-system-id";
/** When no run needs the instance any more: what `mode: sweep` reads. */
export declare const EXPIRES_AT = "expires-at";
/** Until when a warm instance waits for the next run (keep-warm). */
export declare const WARM_UNTIL = "efsync:warm-until";
/** The last run that used a warm instance (efsync:run-id stays the run that launched it). */
export declare const LAST_RUN = "efsync:last-run";
/**
 * The root volume's size in GiB, tagged at launch (launch.ts). DescribeInstances names an instance's volumes
 * only by id (EbsInstanceBlockDevice in botocore's ec2 service-2.json has no size), and DescribeVolumes is not in the
 * action role's policy; the tag is written by RunInstances' TagSpecifications (the role's TagOnLaunchOnly statement)
 * and the role cannot change it afterwards (TagOwnInstancesWarm allows other keys only).
 */
export declare const ROOT_GIB = "efsync:root-gib";
/** The DescribeInstances filters for the efsync instances of one stack. */
export declare function stackFilters(stack: string): {
    Name: string;
    Values: string[];
}[];
/** The comment SendCommand gives a run's command (ssm.ts): how a run's command is told from another's (in-use.ts). */
export declare function commandComment(runId: string): string;
