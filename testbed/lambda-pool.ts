// The execution environments of each function (lambda-env.ts): a warm one is reused, a new one is made when none is
// free (a cold start: the file systems are judged and mounted, the role's credentials issued); an idle environment
// goes after `functionWarmMs`, and a function nobody invoked for `functionIdleMs` becomes Inactive (Lambda function
// states, https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html: "A function becomes inactive when it
// has been idle long enough for Lambda to reclaim the external resources that were configured for it").
//
// The environment Lambda gives a Python function ("Defined runtime environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime): _HANDLER,
// AWS_DEFAULT_REGION, AWS_REGION, AWS_EXECUTION_ENV (AWS_Lambda_<runtime>), AWS_LAMBDA_FUNCTION_NAME,
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_INITIALIZATION_TYPE, AWS_LAMBDA_LOG_GROUP_NAME,
// AWS_LAMBDA_LOG_STREAM_NAME, the execution role's AWS_ACCESS_KEY(_ID), AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, TZ (":UTC"), and the unreserved LANG, PATH, LD_LIBRARY_PATH and PYTHONPATH with
// the values that page gives; then the function's own Environment.Variables. AWS_LAMBDA_RUNTIME_API is not set: the
// bed's runtime interface is not an HTTP API.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { Faults } from './faults.ts';
import type { Runner } from './lambda-api.ts';
import { type EfsClients, mountsOf } from './lambda-efs.ts';
import { Environment, type Outcome } from './lambda-env.ts';
import type { LambdaFunction, LambdaFunctions } from './lambda-functions.ts';
import { subnetReachesS3 } from './routes.ts';

const HERE = import.meta.dirname;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface PoolDeps {
  stateDir: string;
  efsRoot: string;
  region: string;
  faults: Faults;
  functions: LambdaFunctions;
  clients: EfsClients & { ec2: EC2Client };
  /** The bed's endpoint, which SDK calls in a function reach AWS through. */
  endpoint(): string;
  /** Credentials of a role session, as Lambda gets them for the execution role. */
  credentials(roleArn: string, sessionName: string): Promise<Credentials>;
  /** The bed's own log (stderr): what a test of the bed should be able to find out. */
  note(line: string): void;
}

export class LambdaPool implements Runner {
  private readonly deps: PoolDeps;
  private readonly environments = new Map<string, Environment[]>();
  private readonly inflight = new Map<string, number>();
  private readonly ticker: NodeJS.Timeout;

  constructor(deps: PoolDeps) {
    this.deps = deps;
    this.ticker = setInterval(() => this.tick(), 500);
    this.ticker.unref();
  }

  busy(name: string): number {
    return this.inflight.get(name) ?? 0;
  }

  run(
    fn: LambdaFunction,
    event: string,
    requestId: string,
    onCold: (startedInMs: number) => Promise<void>,
  ): Promise<Outcome> {
    const name = fn.definition.name;
    // Taken at once, before any wait: a concurrent invocation sees this one as running.
    this.inflight.set(name, this.busy(name) + 1);
    let env = (this.environments.get(name) ?? []).find((e) => !e.busy && !e.dead);
    if (env) env.busy = true;
    return (async () => {
      try {
        if (!env) {
          // The modeled cold start (onCold) stands for all Lambda does for a new execution environment, so the bed's
          // own start of one counts in it: it is told how long that took, and waits what is left, mount failures too.
          const began = Date.now();
          try {
            env = await this.start(fn);
          } finally {
            await onCold(Date.now() - began);
          }
          env.busy = true;
          this.environments.set(name, [...(this.environments.get(name) ?? []), env]);
        }
        const outcome = await env.invoke(event, requestId, fn.definition.arn, fn.definition.timeoutSeconds * 1000);
        for (const note of env.notes.splice(0)) if (note) this.deps.note(note);
        return outcome;
      } finally {
        this.inflight.set(name, this.busy(name) - 1);
        this.environments.set(
          name,
          (this.environments.get(name) ?? []).filter((e) => !e.dead),
        );
      }
    })();
  }

  retire(name: string): void {
    for (const env of this.environments.get(name) ?? []) env.kill();
    this.environments.delete(name);
  }

  /** Ends the function's idle environments (its configuration changed); those at work finish their invocation. */
  retireIdle(name: string): void {
    for (const env of this.environments.get(name) ?? []) {
      if (env.busy) continue;
      env.kill();
      env.dead = true;
    }
    this.environments.set(
      name,
      (this.environments.get(name) ?? []).filter((e) => !e.dead),
    );
  }

  stopAll(): void {
    clearInterval(this.ticker);
    for (const name of [...this.environments.keys()]) this.retire(name);
  }

  private tick(): void {
    const { faults, functions } = this.deps;
    const now = Date.now();
    for (const [name, envs] of this.environments) {
      for (const env of envs)
        if (!env.busy && now - env.idleSince > faults.settings.functionWarmMs) {
          env.kill();
          env.dead = true;
        }
      this.environments.set(
        name,
        envs.filter((e) => !e.dead),
      );
    }
    for (const fn of functions.list()) {
      if (fn.state !== 'Active' || this.busy(fn.definition.name) > 0) continue;
      if (now - fn.lastInvoked > faults.settings.functionIdleMs) this.deactivate(fn);
    }
  }

  /** The function becomes Inactive: its environments go. */
  deactivate(fn: LambdaFunction): void {
    this.deps.functions.setState(fn, 'Inactive', 'Idle');
    this.retire(fn.definition.name);
  }

  /** A cold start: the file systems judged, the code and runtime in place, the role's credentials, the sandbox. */
  private async start(fn: LambdaFunction): Promise<Environment> {
    const { clients, region, stateDir, efsRoot, faults } = this.deps;
    const d = fn.definition;
    const mounts = await mountsOf(clients, d, efsRoot, faults.unreachableFileSystems);
    // The network its subnets route (routes.ts); a function outside a VPC reaches the internet.
    let network = true;
    for (const subnetId of d.vpc?.subnetIds ?? []) {
      if (!fn.vpcId) {
        const subnet = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0];
        if (subnet?.VpcId) fn.vpcId = subnet.VpcId;
      }
      if (!(await subnetReachesS3(clients.ec2, region, subnetId))) network = false;
    }
    const root = path.join(stateDir, 'lambda');
    const taskDir = path.join(root, 'functions', d.name);
    const runtimeDir = path.join(root, 'runtime');
    fs.mkdirSync(taskDir, { recursive: true, mode: 0o755 });
    fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(taskDir, 'index.py'), d.code, { mode: 0o644 });
    fs.copyFileSync(path.join(HERE, 'sandbox/lambda-runtime.py'), path.join(runtimeDir, 'bootstrap.py'));
    fs.chmodSync(path.join(runtimeDir, 'bootstrap.py'), 0o644);
    const keys = await this.deps.credentials(d.role, d.name);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const env: Record<string, string> = {
      _HANDLER: d.handler,
      AWS_DEFAULT_REGION: region,
      AWS_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${d.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: d.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memoryMiB),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${d.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_ACCESS_KEY: keys.accessKeyId,
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_SESSION_TOKEN: keys.sessionToken,
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
      LD_LIBRARY_PATH: '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
      PYTHONPATH: '/var/runtime',
      // The one departure: SDK calls in the function reach the bed, named by the variable AWS SDKs read for their
      // endpoint (AWS_ENDPOINT_URL, "Service-specific endpoints", AWS SDKs and Tools Reference Guide); unset on AWS.
      AWS_ENDPOINT_URL: this.deps.endpoint(),
      ...d.environment,
    };
    return new Environment(stateDir, {
      functionName: d.name,
      runtime: d.runtime,
      memoryMiB: d.memoryMiB,
      ephemeralMiB: d.ephemeralMiB,
      network,
      env,
      mounts,
      taskDir,
      runtimeDir,
    });
  }
}
