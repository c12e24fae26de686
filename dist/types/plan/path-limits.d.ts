/**
 * The limits a path must keep on EFS and in the Lambda that reads it, checked at plan time so that a name too long
 * fails before anything is staged or launched, not in the agent after an instance was started. Pure.
 *
 * - A name (one path component) is at most 255 bytes: EFS's "Maximum name length" (Amazon EFS User Guide, "Amazon
 *   EFS quotas", Quotas for Amazon EFS file systems, https://docs.aws.amazon.com/efs/latest/ug/limits.html) and
 *   Linux's NAME_MAX.
 * - A whole path is at most 4,095 bytes: Linux's PATH_MAX is 4,096 bytes with the terminating NUL (limits.h;
 *   path_resolution(7): ENAMETOOLONG). The longest path a Lambda opens is the release's real path, which it gets
 *   from os.path.realpath(<mount>/<target>): <mount>/<target's folder>/.<name>.efsync/<release id>/<file>.
 */
import type { TargetPlan } from './target-plan.js';
export declare const NAME_MAX_BYTES = 255;
export declare const PATH_MAX_BYTES = 4095;
/** The first path of the plan that breaks a limit, as one message naming it and the fix; undefined when all fit. */
export declare function pathLimitProblem(plan: Pick<TargetPlan, 'target' | 'tree'>, mountPath: string): string | undefined;
