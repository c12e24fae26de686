/**
 * What the values of a typed Config mean: AWS id shapes, ranges, runtimes, paths and targets. Pure: the clock
 * and the labels are passed in, so the same rules serve the action, the CLI and the API.
 */

import { deprecationWarning, findRuntime, PYTHON_RUNTIMES } from '../core/runtimes.js';
import type { InputName } from './inputs.js';
import { Problems, quote } from './problems.js';
import {
  bucketNameProblem,
  checkId,
  ID_RULES,
  normalizePrefix,
  normalizeTarget,
  targetsOverlap,
  workspacePath,
} from './rules.js';
import { checkRange } from './scalars.js';
import { localInsideS3 } from './targets.js';
import type { Config } from './types.js';
import { checkVerifyImports } from './verify-imports.js';
import { confineRequirements, confineToWorkspace } from './workspace.js';

export type Labels = (name: InputName) => string;

// pip options the action sets itself, or that would write outside the build directory.
const RESERVED_PIP_ARGS = [
  '--target',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--only-binary',
  '--prefix',
  '--root',
  '--user',
  '--requirement',
  '--editable',
  '--src',
];
const RESERVED_SHORT_PIP_ARGS = ['-t', '-r', '-e'];

// Each Config validated, with the configuration it had then: a run validates a Config again only when it is not
// one that loadConfig returned (a Config built or changed by hand), so its warnings are given once.
const validated = new WeakMap<Config, string>();

/** Whether this Config passed validateConfig as it is now. */
export function isValidated(config: Config): boolean {
  return validated.get(config) === JSON.stringify(config);
}

/** Returns the warnings a valid Config deserves; throws a ConfigError that lists every problem. */
export function validateConfig(
  config: Config,
  label: Labels,
  today: Date = new Date(),
  problems: Problems = new Problems(),
): string[] {
  const warnings: string[] = [];
  const { aws, fileSystem: fs } = config;
  const id = (name: InputName, value: string, rule: keyof typeof ID_RULES, what: string) =>
    checkId(problems, label(name), value, ID_RULES[rule], what);

  if (aws.region === '') {
    problems.add(label('aws-region'), 'is not set. Set aws-region, or AWS_REGION in the job, e.g. eu-central-1.');
  } else id('aws-region', aws.region, 'region', 'an AWS region');
  if (aws.roleToAssume !== undefined) id('role-to-assume', aws.roleToAssume, 'roleArn', 'an IAM role ARN');
  id('role-session-name', aws.roleSessionName, 'roleSessionName', 'a session name (2 to 64 of A-Z a-z 0-9 +=,.@_-)');
  checkRange(problems, label('role-duration-seconds'), aws.roleDurationSeconds, 900, 43200);
  if (aws.audience === '') problems.add(label('audience'), 'is empty. Write sts.amazonaws.com.');

  if (config.mode !== 'sweep' || fs.id !== '') {
    if (fs.id === '')
      problems.add(label('file-system-id'), 'is not set. Write the file system id, e.g. fs-0123456789abcdef0.');
    else id('file-system-id', fs.id, 'fileSystem', 'an EFS file system id');
  }
  if (fs.accessPointId !== undefined) id('access-point-id', fs.accessPointId, 'accessPoint', 'an EFS access point id');
  if (fs.subnetId !== undefined) id('subnet-id', fs.subnetId, 'subnet', 'a subnet id');
  for (const group of fs.securityGroupIds) id('security-group-ids', group, 'securityGroup', 'a security group id');
  id('stack', fs.stack, 'stack', 'a CloudFormation stack name');
  id('instance-profile', fs.instanceProfile, 'instanceProfile', 'an instance profile name or ARN');
  for (const type of fs.instanceTypes) id('instance-type', type, 'instanceType', 'an EC2 instance type');
  if (!/^\/mnt\/[\w.-]+(\/[\w.-]+)*$/.test(fs.lambdaMountPath) || fs.lambdaMountPath.split('/').includes('..')) {
    problems.add(
      label('lambda-mount-path'),
      `${quote(fs.lambdaMountPath)} is not a Lambda mount path. Lambda requires one under /mnt/, e.g. /mnt/efs.`,
    );
  }

  const targets: { name: InputName; target: string }[] = [];
  if (config.deps) {
    const { deps } = config;
    const requirements = workspacePath(
      problems,
      label('requirements'),
      config.workspace,
      deps.requirements,
      'requirements.txt',
    );
    if (requirements !== undefined)
      confineRequirements(problems, label('requirements'), config.workspace, requirements);
    const runtime = findRuntime(deps.pythonVersion);
    if (!runtime) {
      const versions = PYTHON_RUNTIMES.map((r) => r.version);
      problems.add(
        label('python-version'),
        `${quote(deps.pythonVersion)} is not a Lambda Python runtime. Write one of ${versions.join(', ')} (quoted in YAML, e.g. '3.13').`,
      );
    } else {
      const warning = deprecationWarning(runtime, today);
      if (warning) warnings.push(warning);
    }
    // A Config built by hand (the API) may leave it out: that is auto.
    const compile: unknown = deps.compile;
    if (compile !== undefined && compile !== 'auto' && typeof compile !== 'boolean')
      problems.add(label('compile'), `${quote(String(compile))} is not auto, true or false. Write one of them.`);
    for (const arg of deps.pipArgs) {
      const name = arg.split('=')[0] ?? arg;
      const short = RESERVED_SHORT_PIP_ARGS.find(
        (flag) => arg === flag || (arg.startsWith(flag) && !arg.startsWith('--')),
      );
      if (RESERVED_PIP_ARGS.includes(name) || short) {
        problems.add(
          label('pip-args'),
          `${quote(arg)} is set by efsync itself (from requirements, pip-target, python-version and architecture). Remove it from pip-args.`,
        );
      }
    }
    targets.push({ name: 'pip-target', target: deps.target });
  }
  if (config.local) {
    confined(problems, label('local-dir'), config.workspace, config.local.dir);
    targets.push({ name: 'local-target', target: config.local.target });
  }
  if (config.s3) {
    const bucketProblem = bucketNameProblem(config.s3.source.bucket);
    if (bucketProblem)
      problems.add(
        label('s3-source'),
        `bucket ${quote(config.s3.source.bucket)} ${bucketProblem}. Write s3://bucket/prefix/.`,
      );
    targets.push({ name: 's3-target', target: config.s3.target });
  }
  checkTargets(problems, label, targets, config);
  // An s3-source that could not be parsed is already reported; it is not "nothing".
  const s3Unreadable = problems.list.some((p) => p.label === label('s3-source'));
  if (config.mode !== 'sweep' && targets.length === 0 && !s3Unreadable) {
    problems.add('the inputs', 'nothing to publish. Set at least one of requirements, local-dir or s3-source.');
  }

  if (config.staging.bucket === undefined) {
    if (config.mode !== 'sweep')
      problems.add(
        label('staging-bucket'),
        'is not set. Write the name of an S3 bucket for staging, e.g. my-efsync-staging.',
      );
  } else {
    const bucketProblem = bucketNameProblem(config.staging.bucket);
    if (bucketProblem)
      problems.add(
        label('staging-bucket'),
        `${quote(config.staging.bucket)} ${bucketProblem}. Write the bucket name only, e.g. my-efsync-staging.`,
      );
  }
  normalizePrefix(problems, label('staging-prefix'), config.staging.prefix);
  checkRange(problems, label('keep-releases'), config.keepReleases, 1, 100);
  checkRange(problems, label('keep-releases-minutes'), config.keepReleasesMinutes, 0, 43200);
  checkRange(problems, label('timeout-minutes'), config.timeoutMinutes, 5, 360);
  checkInstanceChoice(problems, label, config);
  checkEngine(problems, label, config);
  checkVerifyImports(problems, label, config);
  if (config.configFile !== undefined)
    confined(problems, label('config'), config.workspace, config.configFile, 'efsync.yaml');

  problems.throwIfAny();
  validated.set(config, JSON.stringify(config));
  return warnings;
}

/** Inside the workspace as written, then as the file system resolves it (symbolic links). */
function confined(problems: Problems, label: string, workspace: string, value: string, example?: string): void {
  const relative = workspacePath(problems, label, workspace, value, example);
  if (relative !== undefined) confineToWorkspace(problems, label, workspace, relative);
}

const FUNCTION_NAME = /^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:function:)?[a-zA-Z0-9_-]{1,64}$/;

/** engine lambda: the function it runs on, and nothing that is an instance's. */
function checkEngine(problems: Problems, label: Labels, config: Config): void {
  const name = config.fileSystem.writerFunction;
  // FunctionName of Invoke and GetFunctionConfiguration (botocore's lambda model): a name, or a full or partial ARN.
  if (name !== undefined && !FUNCTION_NAME.test(name))
    problems.add(
      label('writer-function'),
      `${quote(name)} is not a function name or ARN. Write the template's WriterFunction output, e.g. efsync-writer.`,
    );
  if (config.engine !== 'lambda') return;
  if (!config.fileSystem.writerFunction)
    problems.add(
      label('writer-function'),
      "is empty, and engine lambda runs on the writer function: set it to the template's WriterFunction output " +
        '(<stack>-writer), or use engine auto or instance.',
    );
  for (const name of ['instance-id', 'keep-warm'] as const) {
    const set = name === 'instance-id' ? config.instanceId !== undefined : (config.keepWarmMinutes ?? 0) > 0;
    if (set)
      problems.add(
        label(name),
        `cannot go with ${label('engine')} lambda: it is about an instance, and the writer function runs the job. Remove one of the two.`,
      );
  }
}

/** keep-warm (0 to 720 minutes) and instance-id, and what cannot go with instance-id. */
function checkInstanceChoice(problems: Problems, label: Labels, config: Config): void {
  const keepWarm = config.keepWarmMinutes ?? 0;
  if (!Number.isInteger(keepWarm)) problems.add(label('keep-warm'), `${keepWarm} is not a whole number of minutes.`);
  else checkRange(problems, label('keep-warm'), keepWarm, 0, MAX_KEEP_WARM_MINUTES);
  if (config.instanceId === undefined) return;
  checkId(problems, label('instance-id'), config.instanceId, ID_RULES.instance, 'an EC2 instance id');
  if (keepWarm > 0)
    problems.add(
      label('keep-warm'),
      `cannot go with ${label('instance-id')}: keep-warm keeps an instance efsync launched, and your own instance ` +
        'stays up anyway. Remove one of the two.',
    );
  if (config.fileSystem.subnetId !== undefined)
    problems.add(
      label('subnet-id'),
      `cannot go with ${label('instance-id')}: the run uses that instance where it is. Remove subnet-id.`,
    );
  if (config.mode === 'sweep')
    problems.add(
      label('instance-id'),
      'cannot go with mode sweep: sweep removes what efsync launched and never touches your instance. Remove it.',
    );
}

/** keep-warm's upper bound: 12 hours. */
export const MAX_KEEP_WARM_MINUTES = 720;

function checkTargets(
  problems: Problems,
  label: Labels,
  targets: { name: InputName; target: string }[],
  config: Config,
): void {
  const valid = targets.filter(({ name, target }) => normalizeTarget(problems, label(name), target) !== undefined);
  for (const [i, a] of valid.entries()) {
    for (const b of valid.slice(i + 1)) {
      // A folder inside the S3 target joins the S3 release (efsync's layout); any other overlap is ambiguous.
      const pair = [a.name, b.name].sort().join();
      const efsyncLayout = pair === 'local-target,s3-target' && localInsideS3(config) !== undefined;
      if (targetsOverlap(a.target, b.target) && !efsyncLayout) {
        problems.add(
          label(b.name),
          `${quote(b.target)} overlaps ${a.name} ${quote(a.target)}. Give each source its own folder, e.g. lib and models.`,
        );
      }
    }
  }
}
