/** Path confinement, for the local walk and the hash cache. Pure. */
import path from 'node:path';

/** Whether `candidate` is `root` or lies under it. */
export function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}
