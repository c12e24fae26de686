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

export const NAME_MAX_BYTES = 255;
export const PATH_MAX_BYTES = 4095;
/** The longest folder name of a release on EFS: `.tmp-` and a release id (`yyyymmddThhmmssZ-` and 8 hex). */
const RELEASE_DIR_BYTES = '.tmp-'.length + 16 + 1 + 8;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** A path for a message: whole when short, else its start and end, so the message stays readable. */
function shown(text: string): string {
  return JSON.stringify(text.length <= 80 ? text : `${text.slice(0, 40)}…${text.slice(-30)}`);
}

/** The first path of the plan that breaks a limit, as one message naming it and the fix; undefined when all fit. */
export function pathLimitProblem(plan: Pick<TargetPlan, 'target' | 'tree'>, mountPath: string): string | undefined {
  const parts = plan.target.split('/');
  const name = parts[parts.length - 1] ?? '';
  // <mount>/<folders of the target>/.<name>.efsync/<release dir>/
  const prefix = bytes(mountPath) + 1 + bytes(parts.slice(0, -1).join('/')) + (parts.length > 1 ? 1 : 0);
  const releaseRoot = prefix + bytes(`.${name}.efsync`) + 1 + RELEASE_DIR_BYTES + 1;
  const longName = [`.${name}.efsync`, ...parts].find((part) => bytes(part) > NAME_MAX_BYTES);
  if (longName !== undefined)
    return `Target ${shown(plan.target)}: a name of ${bytes(longName)} bytes, where EFS allows ${NAME_MAX_BYTES}. Choose a shorter target.`;
  for (const entry of [...plan.tree.dirs, ...plan.tree.files]) {
    const long = entry.path.split('/').find((part) => bytes(part) > NAME_MAX_BYTES);
    if (long !== undefined)
      return (
        `${plan.target}: a name of ${bytes(long)} bytes, where EFS allows ${NAME_MAX_BYTES}, in ${shown(entry.path)}. ` +
        'Rename it (or its S3 key) before publishing.'
      );
    const total = releaseRoot + bytes(entry.path);
    if (total > PATH_MAX_BYTES)
      return (
        `${plan.target}: ${shown(entry.path)} would be ${total} bytes long as the Lambda opens it ` +
        `(${mountPath}/…/.${name}.efsync/<release>/…); Linux allows ${PATH_MAX_BYTES}. Shorten the path, the ` +
        'target or lambda-mount-path.'
      );
  }
  return undefined;
}
