/** The typed configuration every entry point (action, CLI, API) builds once and hands to the engine. */

export type { TargetKind } from '../core/targets.js';

export const MODES = ['sync', 'rollback', 'sweep'] as const;
export type Mode = (typeof MODES)[number];

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const INSTALLERS = ['auto', 'pip', 'uv'] as const;

/** What carries a job out: the writer function, an instance, or (auto) the function when it fits the job. */
export const ENGINES = ['auto', 'lambda', 'instance'] as const;
export type Engine = (typeof ENGINES)[number];
export type Installer = (typeof INSTALLERS)[number];

/** Whether the dependencies get .pyc files: `auto` when an interpreter of the target version is on the runner. */
export type Compile = 'auto' | boolean;

/** Whether the new dependency release is imported before the switch: `auto` when the writer function matches it. */
export type VerifyImports = 'auto' | boolean;

export interface AwsConfig {
  /** Resolved from the input, the efsync.yaml, or AWS_REGION / AWS_DEFAULT_REGION. */
  region: string;
  roleToAssume?: string;
  roleSessionName: string;
  roleDurationSeconds: number;
  audience: string;
  /** A named profile from efsync.yaml (`aws_profile`); used by the CLI and API through the SDK default chain. */
  profile?: string;
}

export interface FileSystemConfig {
  id: string;
  accessPointId?: string;
  subnetId?: string;
  securityGroupIds: string[];
  /**
   * The CloudFormation stack of infra/efsync.yaml whose role the run uses: instances are tagged `efsync:stack` with
   * it, and only that stack's instances are reused warm or swept (its role reaches no other).
   */
  stack: string;
  /** Name or ARN; the input's default is `<stack>-instance`, the profile the template creates. */
  instanceProfile: string;
  /**
   * Tried in order: the next one is used when EC2 has no capacity for the previous. Empty (`instance-type: auto`):
   * chosen from the bytes the run moves (core/instance-size.ts).
   */
  instanceTypes: string[];
  lambdaMountPath: string;
  /** The writer function the template deploys (its WriterFunction output): name or ARN; absent when there is none. */
  writerFunction?: string;
}

export interface DepsSource {
  /** Workspace-relative path of the requirements file. */
  requirements: string;
  pythonVersion: string;
  architecture: Architecture;
  target: string;
  pipArgs: string[];
  installer: Installer;
  /** .pyc files for the target version, in unchecked-hash mode (plan/bytecode.ts). */
  compile: Compile;
  /**
   * Whether the writer function imports each top-level module of the new release before the switch
   * (remote/lambda/imports.ts): auto when its runtime and architecture are these; absent (a Config built by hand): auto.
   */
  verifyImports?: VerifyImports;
  /** Modules never imported by that check (each a Python name, dotted for a module inside a namespace package). */
  verifyImportsSkip?: string[];
}

export interface LocalSource {
  /** Workspace-relative directory. */
  dir: string;
  target: string;
}

export interface S3Location {
  bucket: string;
  /** Empty, or ends with '/'. */
  prefix: string;
}

export interface S3Source {
  source: S3Location;
  target: string;
}

export interface StagingConfig {
  bucket?: string;
  /** Empty, or ends with '/'. */
  prefix: string;
}

export interface Config {
  mode: Mode;
  /** Absolute path that every workspace-relative path is resolved against and confined to. */
  workspace: string;
  aws: AwsConfig;
  fileSystem: FileSystemConfig;
  deps?: DepsSource;
  local?: LocalSource;
  s3?: S3Source;
  staging: StagingConfig;
  delete: boolean;
  keepReleases: number;
  /**
   * Minutes a release that stopped serving stays, even beyond keepReleases: a Lambda that pinned it with
   * os.path.realpath reads it as long as its execution environment lives.
   */
  keepReleasesMinutes: number;
  force: boolean;
  dryRun: boolean;
  timeoutMinutes: number;
  /** Which engine carries the jobs out (remote/engine-choice.ts). */
  engine: Engine;
  /**
   * Minutes the instance stays running after a successful publish, for the next run to reuse (0 or absent: off).
   * A run with it set looks for such a warm instance first (src/remote/instance/warm.ts).
   */
  keepWarmMinutes?: number;
  /** An SSM-managed instance of the user's own to run on, instead of launching one; never stopped or terminated. */
  instanceId?: string;
  /** Workspace-relative path of the efsync.yaml the configuration came from, if any. */
  configFile?: string;
}
