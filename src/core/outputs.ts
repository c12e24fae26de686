/** The action's outputs, computed in one place so that the action and the CLI report the same names. */

import type { SyncResult } from './result.js';
import type { TargetKind } from './targets.js';

export const OUTPUT_NAMES = [
  'changed',
  'engine',
  'instance-id',
  'instance-source',
  'warm-until',
  'pip-path',
  'local-path',
  's3-path',
  'efs-pip-path',
  'efs-local-path',
  'efs-s3-path',
  'release-ids',
  'stats',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function outputsOf(result: SyncResult): Record<OutputName, string> {
  const pathOf = (kind: TargetKind) => result.paths.find((p) => p.kind === kind);
  return {
    changed: String(result.changed),
    engine: result.engine ?? '',
    'instance-id': result.instanceId ?? '',
    'instance-source': result.instanceSource ?? '',
    'warm-until': result.warmUntil ?? '',
    'pip-path': pathOf('pip')?.lambdaPath ?? '',
    'local-path': pathOf('local')?.lambdaPath ?? '',
    's3-path': pathOf('s3')?.lambdaPath ?? '',
    'efs-pip-path': pathOf('pip')?.efsPath ?? '',
    'efs-local-path': pathOf('local')?.efsPath ?? '',
    'efs-s3-path': pathOf('s3')?.efsPath ?? '',
    'release-ids': JSON.stringify(result.releaseIds),
    stats: JSON.stringify(result.stats),
  };
}
