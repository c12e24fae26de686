// The programmatic API: the same Config and engine as the action, against the local AWS test bed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, silentReporter, sync } from '../src/index.js';
import { type LocalAws, startLocalAws } from './local-aws/client.ts';
import { tempWorkspace } from './support/config.ts';

let aws: LocalAws;
let options: Record<string, string>;

beforeAll(async () => {
  aws = await startLocalAws();
  for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
  options = {
    'aws-region': aws.info.region,
    'file-system-id': aws.info.fileSystemId,
    'staging-bucket': aws.info.stagingBucket,
    'security-group-ids': aws.info.instanceSecurityGroupId,
    's3-source': `s3://${aws.info.sourceBucket}/${aws.info.sourcePrefix}`,
  };
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.stop();
});

describe('loadConfig and sync', () => {
  it('plans a dry run and returns the paths and what would change', async () => {
    const { config } = loadConfig({ ...options, 'dry-run': true, 'keep-releases': 5 }, { workspace: tempWorkspace() });
    const result = await sync(config, silentReporter);
    expect(result.changed).toBe(false);
    expect(result.paths).toEqual([{ kind: 's3', target: 'bert', lambdaPath: '/mnt/efs/bert', efsPath: '/bert' }]);
    expect(result.targets).toEqual([
      expect.objectContaining({ target: 'bert', status: 'planned', files: { added: 3, changed: 0, deleted: 0 } }),
    ]);
    expect(result.plan.join('\n')).toContain('bert: +3 added');
  });

  it('names options in its errors', () => {
    expect(() => loadConfig({ ...options, force: 'maybe' })).toThrow(
      new ConfigError([{ label: "option 'force'", message: "'maybe' is not a boolean. Write true or false." }]),
    );
  });

  it('validates a Config built by hand before doing anything', async () => {
    const { config } = loadConfig({ ...options, 'dry-run': true });
    const since = (await aws.log()).at(-1)?.seq ?? 0;
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
    expect(await aws.log(since)).toEqual([]);
  });

  it('turns a preflight problem into one clear error', async () => {
    const { config } = loadConfig({ ...options, 'staging-bucket': 'no-such-staging-bucket', 'dry-run': true });
    await expect(sync(config)).rejects.toThrow(
      'Staging bucket no-such-staging-bucket does not exist. Create it (infra/ does) or fix staging-bucket.',
    );
  });
});
