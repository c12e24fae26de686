// The programmatic API: the same Config and engine as the action, against the local AWS test bed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, type Reporter, RunCancelled, silentReporter, sync } from '../src/index.js';
import { type LocalAws, startLocalAws } from '../testbed/client.ts';
import { leftovers } from './e2e/support.ts';
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

  it('names a refused preflight call and the permission, instead of calling the resource missing', async () => {
    const { config } = loadConfig({ ...options, 'subnet-id': aws.info.subnetIds[0] ?? '', 'dry-run': true });
    await aws.fault({ operation: 'DescribeSubnets', code: 'UnauthorizedOperation', status: 403, nth: 1, times: 1 });
    await expect(sync(config)).rejects.toThrow(
      /^Preflight check failed: ec2:DescribeSubnets was denied \(UnauthorizedOperation\): arn:aws:sts::\d+:user\/moto is not authorized to perform ec2:DescribeSubnets, because no identity-based policy allows it\. Allow ec2:DescribeSubnets in the policy of /,
    );
    await aws.reset();
  });

  it('reports a refused DescribeFileSystems as denied, never as a missing file system', async () => {
    const { config } = loadConfig({ ...options, 'dry-run': true });
    await aws.fault({ service: 'elasticfilesystem', operation: 'DescribeFileSystems', code: 'AccessDeniedException' });
    const error = await sync(config).catch((e: Error) => e);
    expect(String((error as Error).message)).toMatch(
      /^Preflight check failed: elasticfilesystem:DescribeFileSystems was denied \(AccessDeniedException\): arn:aws:sts::\d+:user\/moto is not authorized to perform elasticfilesystem:DescribeFileSystems\. Allow elasticfilesystem:DescribeFileSystems in the policy of /,
    );
    expect((error as Error).message).not.toContain('does not exist');
    await aws.reset();
  });
});

describe('sync leaves the process alone', () => {
  it('assumes the role with an idToken hook, without the runner OIDC variables', async () => {
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', undefined);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', undefined);
    const audiences: string[] = [];
    const idToken = async (audience: string) => {
      audiences.push(audience);
      const answer = await fetch(`${aws.info.oidcUrl}&audience=${encodeURIComponent(audience)}`, {
        headers: { Authorization: `Bearer ${aws.info.oidcToken}` },
      });
      return ((await answer.json()) as { value: string }).value;
    };
    const { config } = loadConfig({ ...options, 'role-to-assume': aws.info.roleArn, 'dry-run': true });
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const result = await sync(config, silentReporter, { idToken });
    expect(result.targets.map((t) => t.status)).toEqual(['planned']);
    expect(audiences).toEqual(['sts.amazonaws.com']);
    const calls = (await aws.log(since)).map((e) => `${e.operation} ${e.status}`);
    expect(calls.slice(0, 2)).toEqual(['AssumeRoleWithWebIdentity 200', 'GetCallerIdentity 200']);
  });

  it('cancels through its signal: tears the run down, rejects, and never touches signal handlers or exit', async () => {
    const { onlineDelayMs } = await aws.settings({});
    await aws.settings({ onlineDelayMs: 10 * 60_000 });
    const workspace = tempWorkspace({ 'models/a.txt': 'a' });
    const { config } = loadConfig({ ...options, 's3-source': '', 'local-dir': 'models' }, { workspace });
    const cancellation = new AbortController();
    const lines: string[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      info: (line) => {
        lines.push(line);
        if (line.includes('waiting for SSM to have it Online')) cancellation.abort('SIGINT');
      },
      warning: (line) => lines.push(`warning: ${line}`),
    };
    const handlers = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = handlers();
    const exit = vi.spyOn(process, 'exit');
    const run = sync(config, reporter, { signal: cancellation.signal });
    expect(handlers()).toEqual(before);
    await expect(run).rejects.toThrow(new RunCancelled('SIGINT'));
    expect(exit).not.toHaveBeenCalled();
    expect(handlers()).toEqual(before);
    const launched = lines.find((l) => / launched; waiting until it runs$/.test(l))?.split(' ')[1];
    expect(lines).toContain(`Terminated ${launched}.`);
    expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
    await aws.settings({ onlineDelayMs });
  }, 60_000);
});
