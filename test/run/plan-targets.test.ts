import { describe, expect, it } from 'vitest';
import { describePlan } from '../../src/run/plan-targets.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load } from '../support/config.ts';

describe('describePlan', () => {
  it('says what a sync would do, source by source', () => {
    const { config } = load({
      ...INPUTS.ALL,
      'instance-type': 'c7i.large,t3.small',
      delete: 'false',
      'dry-run': 'true',
    });
    // Through the access point, whose root directory preflight found to be /lambda.
    expect(describePlan(config, { fileSystemId: config.fileSystem.id, root: '/lambda' })).toEqual([
      'Mode sync in eu-central-1, dry run.',
      'File system: fs-0123456789abcdef0 through access point fsap-0123456789abcdef0.',
      'Publish requirements.txt for python3.13 on x86_64 (installer auto) to lib (Lambda: /mnt/efs/lib).',
      'Publish workspace folder models to models/current (Lambda: /mnt/efs/models/current).',
      'Publish s3://ml-models/bert/ to bert (Lambda: /mnt/efs/bert).',
      'Compare with the last published state of fs-0123456789abcdef0 under /lambda in s3://efsync-staging/efsync/state/fs-0123456789abcdef0/.efsync-root=%2Flambda/; stop here if nothing changed.',
      "Stage changed files under s3://efsync-staging/efsync/runs/, launch c7i.large or t3.small in a mount target's subnet with instance profile efsync-instance, apply over SSM.",
      'Switch each target atomically to its new release, keeping files gone from the source, keeping 3 release(s); stop the instance within 60 min.',
    ]);
  });

  it('names the writer function: under auto when the job fits it, under lambda always', () => {
    const stage = (engine: string) => {
      const { config } = load({
        ...INPUTS.LOCAL,
        'writer-function': 'efsync-writer',
        engine,
        'instance-type': 't3.small',
      });
      return describePlan(config).slice(-2);
    };
    expect(stage('auto')).toEqual([
      "Stage changed files under s3://efsync-staging/efsync/runs/, hand the job to the writer function efsync-writer if it fits (its mount, its timeout, its /tmp), else launch t3.small in a mount target's subnet with instance profile efsync-instance, apply over SSM.",
      'Switch each target atomically to its new release, deleting files gone from the source, keeping 3 release(s); stop an instance within 60 min.',
    ]);
    expect(stage('lambda')).toEqual([
      'Stage changed files under s3://efsync-staging/efsync/runs/, hand the job to the writer function efsync-writer (engine lambda).',
      'Switch each target atomically to its new release, deleting files gone from the source, keeping 3 release(s).',
    ]);
  });

  it('names the targets a rollback restores', () => {
    const { config } = load({ ...INPUTS.LOCAL, mode: 'rollback' });
    expect(describePlan(config).slice(2)).toEqual(['Roll back models (Lambda: /mnt/efs/models).']);
  });

  it('describes a sweep', () => {
    const { config } = load(INPUTS.SWEEP);
    expect(describePlan(config)).toEqual([
      'Mode sweep in eu-central-1.',
      'Terminate efsync instances left running and delete stale staging runs.',
    ]);
  });
});
