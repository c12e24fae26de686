// The e2e scene: the local AWS test bed, a workspace with requirements, a model folder and locally built wheels, and
// the committed dist/ bundles run as the runner runs them (main, then post with the saved state).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, expect } from 'vitest';
import { iamAction } from '../../src/aws/errors.js';
import type { RunHooks } from '../../src/index.js';
import type { LocalAws } from '../../testbed/client.ts';
import { motoClients } from '../support/local-aws.ts';
import { ROOT } from '../support/repo.ts';
import { REQUEST_LOG_DIR } from '../support/request-logs.ts';
import { parseCommandFile, type StepResult, startBundle, startScript } from '../support/run-action.ts';

export interface Step extends StepResult {
  outputs: Record<string, string>;
  post: StepResult;
}

export function makeWorkspace(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-e2e-ws-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** Builds pure-Python wheels into <workspace>/wheels with the repository's own script. */
export function buildWheels(workspace: string, specs: string[]): string {
  const out = path.join(workspace, 'wheels');
  execFileSync('python3', [path.join(ROOT, 'scripts/make-wheels.py'), out, ...specs]);
  return out;
}

export interface ActionOptions {
  /** GitHub OIDC (role-to-assume) instead of the default credential chain. */
  oidc?: boolean;
  /** ACTIONS_STEP_DEBUG=true, as a re-run with debug logging would have. */
  debug?: boolean;
  /** More of the step's environment, e.g. what aws-actions/configure-aws-credentials exports. */
  env?: Record<string, string>;
}

const COMPILE_CACHE = path.join(os.tmpdir(), 'efsync-e2e-node-compile-cache');

/** The environment and inputs a workflow step would give the action on the test bed. */
export function actionSetup(
  aws: LocalAws,
  workspace: string,
  inputs: Record<string, string>,
  options: ActionOptions = {},
) {
  const { info } = aws;
  const credentials = options.oidc
    ? { ACTIONS_ID_TOKEN_REQUEST_URL: info.oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: info.oidcToken }
    : // The action role's own static key (testbed/iam-eval.ts): its calls are evaluated against its policies.
      { AWS_ACCESS_KEY_ID: info.actionAccessKeyId, AWS_SECRET_ACCESS_KEY: 'testing' };
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: info.endpoint,
    AWS_REGION: info.region,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'efsync-test/efsync-action',
    ...(options.debug && { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }),
    ...credentials,
    ...options.env,
    // Not the runner's, nor read by the action: Node's own on-disk cache of compiled code. Every step loads the same
    // large bundle, and compiling it anew costs about half a second a step; the cache changes nothing it does (a
    // changed bundle is compiled again).
    NODE_COMPILE_CACHE: COMPILE_CACHE,
  };
  const all = {
    'aws-region': info.region,
    'file-system-id': info.fileSystemId,
    'staging-bucket': info.stagingBucket,
    'instance-type': 't3.small',
    'security-group-ids': info.instanceSecurityGroupId,
    ...(options.oidc && { 'role-to-assume': info.roleArn }),
    ...inputs,
  };
  return { env, inputs: all };
}

/** The post step, given the state a main step saved. */
export function runPost(env: Record<string, string>, main: StepResult): Promise<StepResult> {
  const state = Object.fromEntries(Object.entries(parseCommandFile(main.state)).map(([k, v]) => [`STATE_${k}`, v]));
  return startBundle('post', {}, { ...env, ...state }).done;
}

/** Runs main, then post with the state main saved, exactly as a runner does. */
export async function runAction(
  aws: LocalAws,
  workspace: string,
  inputs: Record<string, string>,
  options: ActionOptions = {},
): Promise<Step> {
  const setup = actionSetup(aws, workspace, inputs, options);
  const main = await startBundle('main', setup.inputs, setup.env).done;
  return { ...main, outputs: parseCommandFile(main.output), post: await runPost(setup.env, main) };
}

export interface ApiStep extends StepResult {
  outputs: Record<string, string>;
  /** The message of the error `sync` (or `loadConfig`) threw, one entry; none when it resolved. */
  errors: string[];
}

/**
 * A program calling the published module (the committed dist/api bundle): `loadConfig` with the same options as the
 * action's inputs, then `sync` with the hooks' `waits`, in the environment a step would have. The library cleans up
 * after itself, so there is no post step.
 */
export async function runApi(
  aws: LocalAws,
  workspace: string,
  inputs: Record<string, string>,
  waits: RunHooks['waits'],
  options: ActionOptions = {},
): Promise<ApiStep> {
  const setup = actionSetup(aws, workspace, inputs, options);
  const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-api-')), 'result.json');
  const call = JSON.stringify({ options: setup.inputs, waits });
  const step = await startScript([API_STEP, call, resultFile], {}, setup.env).done;
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as {
    outputs?: Record<string, string>;
    error?: { name: string; message: string };
  };
  return { ...step, outputs: result.outputs ?? {}, errors: result.error ? [result.error.message] : [] };
}

const API_STEP = path.join(ROOT, 'test/support/api-step.ts');

/** Instances still pending or running, and objects left under <staging prefix>runs/, straight from moto. */
export async function leftovers(
  aws: LocalAws,
  stagingPrefix = 'efsync/',
): Promise<{ instances: string[]; runObjects: string[] }> {
  const { ec2, s3 } = motoClients(aws);
  const found = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }),
  );
  const instances = (found.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '');
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: aws.info.stagingBucket, Prefix: `${stagingPrefix}runs/` }),
  );
  return { instances, runObjects: (listed.Contents ?? []).map((o) => o.Key ?? '') };
}

/** Every regular file under dir (following the target symlink), as path → content. */
export function readTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out[child] = fs.readFileSync(path.join(dir, child));
    }
  };
  walk('');
  return out;
}

/** IAM actions an operation in the request log needs (none for STS identity calls; a launch also tags and passes the role). */
export function iamActions(service: string, operation: string): string[] {
  if (service === 'sts') return [];
  if (service === 'ec2' && operation === 'RunInstances') return ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'];
  if (service === 'elasticfilesystem' && operation === 'DescribeMountTargetSecurityGroups') {
    return ['elasticfilesystem:DescribeMountTargetSecurityGroups', 'ec2:DescribeNetworkInterfaceAttribute'];
  }
  return [iamAction(service, operation)];
}

const LOG_DIR = REQUEST_LOG_DIR;

// Every AWS call of a file whose request log is saved was checked against its service model by the test bed
// (testbed/conformance.ts) and passed: none refused, none the check could not decode. Asserted once the file's
// own afterAll has saved its logs and stopped its test beds (after hooks run in reverse order of registration).
const notConforming = new Set<string>();
afterAll(() => {
  expect([...notConforming], 'AWS calls the service-model check refused or could not decode').toEqual([]);
});

/** Keeps a test file's request log for the least-privilege check, which compares every e2e file's calls with the policy. */
export async function saveRequestLog(aws: LocalAws, name: string): Promise<void> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const log = await aws.log();
  for (const e of log)
    if (e.check !== 'checked' && e.check !== 'off') notConforming.add(`${e.service} ${e.operation}: ${e.check}`);
  const calls = log.filter((e) => e.answeredBy !== 'fault').map((e) => `${e.service} ${e.operation}`);
  fs.writeFileSync(path.join(LOG_DIR, `${name}.json`), JSON.stringify([...new Set(calls)]));
}

export function savedRequestLogs(): string[] {
  if (!fs.existsSync(LOG_DIR)) return [];
  return fs
    .readdirSync(LOG_DIR)
    .flatMap((file) => JSON.parse(fs.readFileSync(path.join(LOG_DIR, file), 'utf8')) as string[]);
}
