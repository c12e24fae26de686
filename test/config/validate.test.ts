// Every validation rule, each with the message a user sees: it names the input and says what to write instead.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load, loadError, TODAY } from '../support/config.ts';

const { DEPS, LOCAL, S3, ALL } = INPUTS;

describe('AWS ids must match their patterns', () => {
  it.each([
    ['aws-region', 'Frankfurt', "Input 'aws-region': 'Frankfurt' is not an AWS region. Write one like eu-central-1."],
    [
      'role-to-assume',
      'efsync-role',
      "Input 'role-to-assume': 'efsync-role' is not an IAM role ARN. Write one like arn:aws:iam::123456789012:role/efsync.",
    ],
    [
      'role-session-name',
      'a',
      "Input 'role-session-name': 'a' is not a session name (2 to 64 of A-Z a-z 0-9 +=,.@_-).",
    ],
    [
      'file-system-id',
      'fs-XYZ',
      "Input 'file-system-id': 'fs-XYZ' is not an EFS file system id. Write one like fs-0123456789abcdef0.",
    ],
    [
      'access-point-id',
      'ap-1234',
      "Input 'access-point-id': 'ap-1234' is not an EFS access point id. Write one like fsap-0123456789abcdef0.",
    ],
    [
      'subnet-id',
      'subnet-1',
      "Input 'subnet-id': 'subnet-1' is not a subnet id. Write one like subnet-0123456789abcdef0.",
    ],
    ['security-group-ids', 'sg-12345678, default', "Input 'security-group-ids': 'default' is not a security group id."],
    [
      'instance-profile',
      'my profile',
      "Input 'instance-profile': 'my profile' is not an instance profile name or ARN.",
    ],
    [
      'instance-type',
      't3.small,T3 Large',
      "Input 'instance-type': 'T3 Large' is not an EC2 instance type. Write one like t3.small.",
    ],
  ] as const)('%s', (name, value, message) => {
    expect(loadError({ ...DEPS, [name]: value })).toContain(message);
  });

  it('accepts lists of security groups and instance types, with commas or newlines', () => {
    const { config } = load({
      ...DEPS,
      'security-group-ids': 'sg-12345678,\nsg-87654321',
      'instance-type': 'c7i.large\nt3.small',
    });
    expect(config.fileSystem.securityGroupIds).toEqual(['sg-12345678', 'sg-87654321']);
    expect(config.fileSystem.instanceTypes).toEqual(['c7i.large', 't3.small']);
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION, when the input is empty', () => {
    const inputs = { ...DEPS, 'aws-region': '' };
    expect(load(inputs, { env: { AWS_DEFAULT_REGION: 'us-east-1' } }).config.aws.region).toBe('us-east-1');
    expect(load(inputs, { env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' } }).config.aws.region).toBe(
      'eu-west-1',
    );
    expect(loadError(inputs)).toBe(
      "Input 'aws-region': is not set. Set aws-region, or AWS_REGION in the job, e.g. eu-central-1.",
    );
  });
});

describe('python-version', () => {
  it.each(['3.8', '3.9', '3.15', '3.1', '3', 'python3.12'])('refuses %s', (version) => {
    expect(loadError({ ...DEPS, 'python-version': version })).toBe(
      `Input 'python-version': '${version}' is not a Lambda Python runtime. Write one of 3.10, 3.11, 3.12, 3.13, 3.14 (quoted in YAML, e.g. '3.13').`,
    );
  });

  it('warns for a runtime past its deprecation date, and not before it', () => {
    expect(load({ ...DEPS, 'python-version': '3.10' }).warnings).toEqual([
      expect.stringContaining('python3.10 is deprecated on AWS Lambda since 2026-10-31'),
    ]);
    expect(load({ ...DEPS, 'python-version': '3.10' }, { today: new Date('2026-10-30') }).warnings).toEqual([]);
    expect(load({ ...DEPS, 'python-version': '3.11' }).warnings).toEqual([]);
  });
});

describe('targets', () => {
  it.each([
    ['/lib', "Input 'pip-target': '/lib' is absolute. Write a relative folder such as lib or models/bert."],
    ['../lib', "Input 'pip-target': '../lib' has '.', '..' or an empty part."],
    ['lib/../../etc', "Input 'pip-target': 'lib/../../etc' has '.', '..' or an empty part."],
    ['./lib', "Input 'pip-target': './lib' has '.', '..' or an empty part."],
    ['a//b', "Input 'pip-target': 'a//b' has '.', '..' or an empty part."],
    ['.lib.efsync', "Input 'pip-target': '.lib.efsync' uses a name reserved for releases"],
    ['lib\\x', "Input 'pip-target': 'lib\\x' is not a folder name."],
    [`${'x'.repeat(256)}`, 'has a folder name longer than 255 bytes'],
  ])('refuses pip-target %s', (target, message) => {
    expect(loadError({ ...DEPS, 'pip-target': target })).toContain(message);
  });

  it('drops a trailing slash', () => {
    expect(load({ ...DEPS, 'pip-target': 'python/lib/' }).config.deps?.target).toBe('python/lib');
  });

  it.each([
    [{ 'local-target': 'lib' }, "Input 'local-target': 'lib' overlaps pip-target 'lib'."],
    [{ 'local-target': 'lib/models' }, "Input 'local-target': 'lib/models' overlaps pip-target 'lib'."],
    [{ 'pip-target': 'models/lib' }, "Input 'local-target': 'models' overlaps pip-target 'models/lib'."],
  ])('refuses overlapping targets %j', (extra, message) => {
    expect(loadError({ ...DEPS, 'local-dir': 'models', ...extra })).toBe(
      `${message} Give each source its own folder, e.g. lib and models.`,
    );
  });

  it('accepts a local-target inside the s3-target (the layout of efsync), and no other nesting', () => {
    const { config } = load({ ...S3, 'local-dir': 'models', 's3-target': 'ml', 'local-target': 'ml/models' });
    expect(config.local?.target).toBe('ml/models');
    expect(loadError({ ...S3, requirements: 'r.txt', 's3-target': 'ml', 'pip-target': 'ml/lib' })).toContain(
      "Input 's3-target': 'ml' overlaps pip-target 'ml/lib'.",
    );
  });

  it('refuses an s3-target inside the local one', () => {
    expect(loadError({ ...LOCAL, 's3-source': 's3://b1b/x/', 's3-target': 'models/x' })).toContain(
      "Input 's3-target': 'models/x' overlaps local-target 'models'.",
    );
  });

  it('defaults local-target to the folder name and s3-target to the last folder of the prefix', () => {
    const { config } = load({ ...LOCAL, 'local-dir': 'data/models/', 's3-source': 's3://bucket-1/a/bert' });
    expect(config.local?.target).toBe('models');
    expect(config.s3).toEqual({ source: { bucket: 'bucket-1', prefix: 'a/bert/' }, target: 'bert' });
    expect(load({ ...S3, 's3-source': 's3://bucket-1' }).config.s3?.target).toBe('bucket-1');
  });
});

describe('S3 URIs', () => {
  it.each([
    [
      'ml-models/bert/',
      "Input 's3-source': 'ml-models/bert/' is not an S3 URI. Write it as s3://bucket/prefix/, e.g. s3://my-models/bert/.",
    ],
    [
      'https://ml-models.s3.amazonaws.com/bert',
      "Input 's3-source': 'https://ml-models.s3.amazonaws.com/bert' is not an S3 URI.",
    ],
    ['s3://ML_Models/bert/', "Input 's3-source': bucket 'ML_Models' is not an S3 bucket name"],
    ['s3://192.168.1.10/x/', "Input 's3-source': bucket '192.168.1.10' is not a valid S3 bucket name."],
    ['s3://ml-models//bert', "Input 's3-source': 's3://ml-models//bert' has an empty folder name in its prefix."],
  ])('refuses %s', (uri, message) => {
    expect(loadError({ ...DEPS, 's3-source': uri })).toContain(message);
  });

  it('refuses a staging bucket written as a URI', () => {
    expect(loadError({ ...DEPS, 'staging-bucket': 's3://efsync-staging' })).toBe(
      "Input 'staging-bucket': 's3://efsync-staging' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens). Write the bucket name only, e.g. my-efsync-staging.",
    );
  });

  it.each(['/efsync/', 'a/../b/'])('refuses staging-prefix %s', (prefix) => {
    expect(loadError({ ...DEPS, 'staging-prefix': prefix })).toContain(
      `Input 'staging-prefix': '${prefix}' is not a key prefix.`,
    );
  });

  it('ends a staging prefix with a slash', () => {
    expect(load({ ...DEPS, 'staging-prefix': 'ci/efsync' }).config.staging.prefix).toBe('ci/efsync/');
  });
});

describe('booleans are strict (YAML 1.2)', () => {
  it.each(['yes', 'on', '1', 'tRue', 'y'])('refuses %s', (value) => {
    expect(loadError({ ...DEPS, force: value })).toBe(
      `Input 'force': '${value}' is not a boolean. Write true or false.`,
    );
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('reads %s', (value, expected) => {
    expect(load({ ...DEPS, 'dry-run': value }).config.dryRun).toBe(expected);
  });
});

describe('numbers must be whole and in range', () => {
  it.each([
    ['keep-releases', '0', 1, 100],
    ['keep-releases', '101', 1, 100],
    ['timeout-minutes', '4', 5, 360],
    ['timeout-minutes', '361', 5, 360],
    ['role-duration-seconds', '899', 900, 43200],
    ['role-duration-seconds', '43201', 900, 43200],
    ['keep-warm', '721', 0, 720],
    ['keep-releases-minutes', '43201', 0, 43200],
  ] as const)('%s %s', (name, value, min, max) => {
    expect(loadError({ ...DEPS, [name]: value })).toBe(
      `Input '${name}': ${value} is out of range. Write a number from ${min} to ${max}.`,
    );
  });

  it.each(['3.5', '-1', '1e3', 'three', '0x10'])('refuses %s', (value) => {
    expect(loadError({ ...DEPS, 'keep-releases': value })).toBe(
      `Input 'keep-releases': '${value}' is not a whole number. Write digits only, e.g. 60.`,
    );
  });

  it.each(['-1', '1.5', 'a day'])('refuses keep-releases-minutes %s, naming it', (value) => {
    expect(loadError({ ...DEPS, 'keep-releases-minutes': value })).toBe(
      `Input 'keep-releases-minutes': '${value}' is not a whole number. Write digits only, e.g. 60.`,
    );
  });

  it('reads keep-releases-minutes, 1440 when unset, 0 allowed', () => {
    expect(load(DEPS).config.keepReleasesMinutes).toBe(1440);
    expect(load({ ...DEPS, 'keep-releases-minutes': '0' }).config.keepReleasesMinutes).toBe(0);
  });
});

describe('keep-warm and instance-id', () => {
  it('reads keep-warm in minutes, absent at 0', () => {
    expect(load({ ...DEPS, 'keep-warm': '15' }).config.keepWarmMinutes).toBe(15);
    expect(load({ ...DEPS, 'keep-warm': '0' }).config.keepWarmMinutes).toBeUndefined();
    expect(loadError({ ...DEPS, 'keep-warm': '1.5' })).toBe(
      "Input 'keep-warm': '1.5' is not a whole number. Write digits only, e.g. 60.",
    );
  });

  it.each(['i-123', 'i-0123456789ABCDEF0', 'i-0123456789abcdef01234', 'mi-0123456789abcdef0', "i-01234567'; reboot"])(
    'refuses instance-id %s',
    (value) => {
      expect(loadError({ ...DEPS, 'instance-id': value })).toContain(
        `Input 'instance-id': '${value}' is not an EC2 instance id. Write one like i-0123456789abcdef0.`,
      );
    },
  );

  it('takes instance-id alone: not with keep-warm, subnet-id or mode sweep', () => {
    expect(load({ ...DEPS, 'instance-id': 'i-0123456789abcdef0' }).config.instanceId).toBe('i-0123456789abcdef0');
    expect(loadError({ ...DEPS, 'instance-id': 'i-0123456789abcdef0', 'keep-warm': '10' })).toBe(
      "Input 'keep-warm': cannot go with input 'instance-id': keep-warm keeps an instance efsync launched, and your " +
        'own instance stays up anyway. Remove one of the two.',
    );
    expect(loadError({ ...DEPS, 'instance-id': 'i-0123456789abcdef0', 'subnet-id': 'subnet-0123456789abcdef0' })).toBe(
      "Input 'subnet-id': cannot go with input 'instance-id': the run uses that instance where it is. Remove subnet-id.",
    );
    expect(loadError({ ...INPUTS.SWEEP, 'instance-id': 'i-0123456789abcdef0' })).toContain(
      "Input 'instance-id': cannot go with mode sweep",
    );
  });
});

describe('choices', () => {
  it.each([
    ['mode', 'deploy', 'sync, rollback, sweep'],
    ['architecture', 'aarch64', 'x86_64, arm64'],
    ['installer', 'poetry', 'auto, pip, uv'],
  ] as const)('%s refuses %s', (name, value, choices) => {
    expect(loadError({ ...DEPS, [name]: value })).toBe(
      `Input '${name}': '${value}' is not one of ${choices}. Write one of them.`,
    );
  });
});

describe('compile', () => {
  it.each([
    ['auto', 'auto'],
    ['true', true],
    ['True', true],
    ['FALSE', false],
  ] as const)('reads %s', (value, compile) => {
    expect(load({ ...DEPS, compile: value }).config.deps?.compile).toBe(compile);
  });

  it('is auto by default', () => {
    expect(load(DEPS).config.deps?.compile).toBe('auto');
  });

  it('is checked in a Config built by hand (the API), where leaving it out means auto', () => {
    const { config } = load(DEPS);
    const label = (name: string) => `option '${name}'`;
    const deps = config.deps as NonNullable<typeof config.deps>;
    const bad = { ...config, deps: { ...deps, compile: 'yes' as unknown as boolean } };
    expect(() => validateConfig(bad, label, TODAY)).toThrow("Option 'compile': 'yes' is not auto, true or false.");
    const { compile: _, ...withoutCompile } = deps;
    expect(() => validateConfig({ ...config, deps: withoutCompile as typeof deps }, label, TODAY)).not.toThrow();
  });

  it.each(['yes', 'Auto', '1', 'unchecked-hash'])('refuses %s', (value) => {
    expect(loadError({ ...DEPS, compile: value })).toBe(
      `Input 'compile': '${value}' is not auto, true or false. Write one of them.`,
    );
  });
});

describe('what a run needs', () => {
  it('needs at least one source', () => {
    const { requirements: _, ...none } = DEPS;
    expect(loadError(none)).toBe(
      'The inputs: nothing to publish. Set at least one of requirements, local-dir or s3-source.',
    );
  });

  it('needs a file system and a staging bucket to sync or roll back, not to sweep', () => {
    expect(loadError({ requirements: 'r.txt', 'aws-region': 'eu-west-1', mode: 'rollback' })).toBe(
      [
        '2 problems with the configuration:',
        "- Input 'file-system-id': is not set. Write the file system id, e.g. fs-0123456789abcdef0.",
        "- Input 'staging-bucket': is not set. Write the name of an S3 bucket for staging, e.g. my-efsync-staging.",
      ].join('\n'),
    );
    expect(load(INPUTS.SWEEP).config.mode).toBe('sweep');
  });

  it('reports every problem at once', () => {
    const message = loadError({ ...ALL, force: 'yes', 'keep-releases': '0', 'python-version': '2.7' });
    expect(message.split('\n')[0]).toBe('3 problems with the configuration:');
  });
});

describe('paths stay inside the workspace', () => {
  it.each([
    ['requirements', '../other/requirements.txt'],
    ['local-dir', '/etc'],
    ['local-dir', '../..'],
  ] as const)('%s %s', (name, value) => {
    expect(loadError({ ...DEPS, [name]: value })).toContain(
      `Input '${name}': '${value}' is outside the workspace. Write a path inside the repository, e.g. `,
    );
  });

  it('accepts an absolute path inside the workspace', () => {
    expect(load({ ...LOCAL, 'local-dir': '/home/runner/work/repo/models' }).config.local?.target).toBe('models');
  });
});

describe('engine and writer-function', () => {
  it.each(['x$(touch /tmp/x)', 'efsync writer', 'a'.repeat(65), 'arn:aws:s3:::bucket'])(
    'refuses writer-function %s',
    (value) => {
      expect(loadError({ ...DEPS, 'writer-function': value })).toContain(
        "is not a function name or ARN. Write the template's WriterFunction output, e.g. efsync-writer.",
      );
    },
  );

  it('takes a name or an ARN, and engine lambda needs one, with nothing of an instance', () => {
    for (const name of ['efsync-writer', 'arn:aws:lambda:eu-central-1:123456789012:function:efsync-writer'])
      expect(load({ ...DEPS, 'writer-function': name }).config.fileSystem.writerFunction).toBe(name);
    expect(loadError({ ...DEPS, engine: 'lambda' })).toContain(
      "is empty, and engine lambda runs on the writer function: set it to the template's WriterFunction output",
    );
    expect(loadError({ ...DEPS, engine: 'lambda', 'writer-function': 'efsync-writer', 'keep-warm': '10' })).toContain(
      'it is about an instance, and the writer function runs the job. Remove one of the two.',
    );
    expect(loadError({ ...DEPS, engine: 'turbo' })).toContain('is not one of auto, lambda, instance');
  });
});

describe('lambda-mount-path and pip-args', () => {
  it.each(['/efs', 'mnt/efs', '/mnt/', '/mnt/../etc', '/mnt/my efs'])('refuses lambda-mount-path %s', (value) => {
    expect(loadError({ ...DEPS, 'lambda-mount-path': value })).toContain(
      'is not a Lambda mount path. Lambda requires one under /mnt/, e.g. /mnt/efs.',
    );
  });

  it.each([
    '--target /tmp',
    '-t/tmp',
    '--platform=any',
    '--python-version 3.9',
    '-r other.txt',
    '--only-binary :none:',
  ])('refuses pip-args %s', (args) => {
    expect(loadError({ ...DEPS, 'pip-args': args })).toContain(
      'is set by efsync itself (from requirements, pip-target, python-version and architecture). Remove it from pip-args.',
    );
  });

  it('splits pip-args into words without a shell, quotes kept together, nothing expanded', () => {
    const { config } = load({
      ...DEPS,
      'pip-args': `--extra-index-url "https://x.test/a b" --pre $(touch /tmp/x) \`id\``,
    });
    expect(config.deps?.pipArgs).toEqual([
      '--extra-index-url',
      'https://x.test/a b',
      '--pre',
      '$(touch',
      '/tmp/x)',
      '`id`',
    ]);
  });

  it('refuses an unclosed quote', () => {
    expect(loadError({ ...DEPS, 'pip-args': '--index-url "https://x' })).toBe(
      `Input 'pip-args': '--index-url "https://x' has an unclosed quote. Close it, or write the arguments without quotes.`,
    );
  });
});
