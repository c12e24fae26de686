// The digests tests compare content by: sha256 as the plan and the agent write it, md5 as S3 gives a plain object's
// ETag. Hex, as both write them.
import { createHash } from 'node:crypto';

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
export const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');
