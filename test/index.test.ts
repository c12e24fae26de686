// The programmatic API: the same Config and engine as the action.
import { describe, expect, it } from 'vitest';
import { ConfigError, EngineUnavailableError, loadConfig, silentReporter, sync } from '../src/index.js';
import { tempWorkspace } from './support/config.ts';

const OPTIONS = {
  'aws-region': 'eu-west-1',
  'file-system-id': 'fs-12345678',
  'staging-bucket': 'stage-1',
  's3-source': 's3://models-1/bert/',
};

describe('loadConfig and sync', () => {
  it('plans a dry run and returns the paths', async () => {
    const { config } = loadConfig({ ...OPTIONS, 'dry-run': true, 'keep-releases': 5 }, { workspace: tempWorkspace() });
    const result = await sync(config, silentReporter);
    expect(result.changed).toBe(false);
    expect(result.paths).toEqual([{ kind: 's3', target: 'bert', lambdaPath: '/mnt/efs/bert', efsPath: '/bert' }]);
    expect(result.plan.join('\n')).toContain('keeping 5 release(s)');
  });

  it('names options in its errors', () => {
    expect(() => loadConfig({ ...OPTIONS, force: 'maybe' })).toThrow(
      new ConfigError([{ label: "option 'force'", message: "'maybe' is not a boolean. Write true or false." }]),
    );
  });

  it('validates a Config built by hand before doing anything', async () => {
    const { config } = loadConfig({ ...OPTIONS, 'dry-run': true });
    await expect(
      sync({ ...config, keepReleases: 0, s3: { source: { bucket: 'Bad_Bucket', prefix: '' }, target: '/abs' } }),
    ).rejects.toThrow(
      [
        '3 problems with the configuration:',
        "- Option 's3-source': bucket 'Bad_Bucket' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens). Write s3://bucket/prefix/.",
        "- Option 's3-target': '/abs' is absolute. Write a relative folder such as lib or models/bert.",
        "- Option 'keep-releases': 0 is out of range. Write a number from 1 to 100.",
      ].join('\n'),
    );
  });

  it('does not publish yet: without dry-run it says so', async () => {
    const { config } = loadConfig(OPTIONS);
    await expect(sync(config)).rejects.toBeInstanceOf(EngineUnavailableError);
  });
});
