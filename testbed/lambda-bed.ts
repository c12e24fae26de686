// Lambda in the test bed, put together: the functions, their execution environments, the API the front hands Lambda's
// requests to, and what the control endpoint does with functions.
import { randomUUID } from 'node:crypto';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { checkRequest } from './conformance.ts';
import type { Faults } from './faults.ts';
import type { IamEvaluator } from './iam-eval.ts';
import { LambdaApi } from './lambda-api.ts';
import { configurationOf } from './lambda-config.ts';
import { checkMountTargets, rolePolicies } from './lambda-efs.ts';
import { DefinitionError, defineFunction, LambdaFunctions } from './lambda-functions.ts';
import { LambdaPool } from './lambda-pool.ts';
import { motoAdmin } from './moto.ts';
import type { Sessions } from './sessions.ts';

export interface LambdaBedDeps {
  motoEndpoint: string;
  region: string;
  stateDir: string;
  efsRoot: string;
  faults: Faults;
  sessions: Sessions;
  evaluator: IamEvaluator;
  endpoint(): string;
}

export function startLambda(deps: LambdaBedDeps) {
  const { faults, region } = deps;
  const config = motoAdmin(deps.motoEndpoint, region);
  const clients = { ec2: new EC2Client(config), efs: new EFSClient(config), iam: new IAMClient(config) };
  const sts = new STSClient(config);
  const functions = new LambdaFunctions();
  const pool = new LambdaPool({
    stateDir: deps.stateDir,
    efsRoot: deps.efsRoot,
    region,
    faults,
    functions,
    clients,
    endpoint: deps.endpoint,
    // Lambda assumes the execution role for the function ("Defining Lambda function permissions with an execution
    // role", https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html); the bed's STS issues the
    // session, and the front knows its keys as the role's (sessions.ts).
    async credentials(roleArn, sessionName) {
      // What the function calls through the bed is evaluated against its role's policies (iam-eval.ts): a role no
      // stack deployed is known with the policies IAM holds for it.
      const name = roleArn.split('/').pop() ?? '';
      const documents = await rolePolicies(clients.iam, roleArn);
      deps.evaluator.addRole({
        name,
        arn: roleArn,
        stack: '',
        trust: { Version: '2012-10-17', Statement: [] },
        policies: documents.map((text, i) => ({
          name: `policy-${i + 1}`,
          document: JSON.parse(text.startsWith('%') ? decodeURIComponent(text) : text),
        })),
      });
      const answer = await sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName.slice(0, 64), DurationSeconds: 3600 }),
      );
      const keys = answer.Credentials;
      const arn = answer.AssumedRoleUser?.Arn ?? '';
      deps.sessions.issued(
        `<AccessKeyId>${keys?.AccessKeyId}</AccessKeyId><Expiration>${keys?.Expiration?.toISOString()}</Expiration>` +
          `<AssumedRoleUser><Arn>${arn}</Arn></AssumedRoleUser>`,
        faults.settings.sessionSeconds,
      );
      return {
        accessKeyId: keys?.AccessKeyId ?? '',
        secretAccessKey: keys?.SecretAccessKey ?? '',
        sessionToken: keys?.SessionToken ?? '',
      };
    },
    note: (line) => process.stderr.write(`testbed (lambda): ${line}\n`),
  });
  const api = new LambdaApi({ functions, runner: pool, faults, region });
  const control = {
    async create(body: Record<string, unknown>): Promise<[number, unknown]> {
      const properties = (body.Properties ?? body) as Record<string, unknown>;
      const names = { stackName: String(body.StackName ?? 'testbed'), logicalId: String(body.LogicalId ?? 'Function') };
      try {
        const definition = defineFunction(properties, region, names);
        await checkMountTargets(clients, definition);
        const fn = functions.add(definition);
        // Pending while Lambda sets up the function's VPC and file system (faults.ts, functionPendingMs).
        functions.setState(fn, 'Pending', 'Creating', faults.settings.functionPendingMs);
        return [200, configurationOf(fn)];
      } catch (error) {
        if (error instanceof DefinitionError) return [error.status, { code: error.code, message: error.message }];
        return [400, { message: String(error) }];
      }
    },
    list: () => functions.list().map(configurationOf),
    /**
     * An administrator's UpdateFunctionConfiguration of Timeout or MemorySize, outside the request log (the action
     * never updates a function): the body checked against botocore's lambda model (UpdateFunctionConfigurationRequest,
     * PUT /2015-03-31/functions/{FunctionName}/configuration) and the function's own limits as CreateFunction checks
     * them. "When you update a function, Lambda provisions an instance of the function ... you can still invoke it"
     * (the model's documentation): the bed applies it at once, and a new invocation gets a new execution environment
     * (the idle ones are retired; one at work ends its invocation with the configuration it began with).
     */
    configure(name: string, body: Record<string, unknown>): [number, unknown] {
      const fn = functions.get(name);
      if (!fn) return [404, { code: 'ResourceNotFoundException', message: `Function not found: ${name}` }];
      const unknown = Object.keys(body).filter((k) => k !== 'Timeout' && k !== 'MemorySize');
      if (unknown.length) return [400, { message: `the bed updates Timeout and MemorySize only, not ${unknown}` }];
      const verdict = checkRequest(
        'lambda',
        'rest-json',
        'PUT',
        new URL(`http://lambda/2015-03-31/functions/${name}/configuration`),
        {},
        Buffer.from(JSON.stringify(body)),
        'UpdateFunctionConfiguration',
      );
      if (verdict.status === 'refused') return [verdict.httpStatus, { code: verdict.code, message: verdict.message }];
      try {
        // CreateFunction's checks of the same values (lambda-functions.ts): at most 900 s, 10,240 MB.
        const d = fn.definition;
        const checked = defineFunction(
          {
            FunctionName: d.name,
            Role: d.role,
            Runtime: d.runtime,
            Handler: d.handler,
            Code: { ZipFile: d.code },
            Timeout: body.Timeout ?? d.timeoutSeconds,
            MemorySize: body.MemorySize ?? d.memoryMiB,
          },
          region,
          { stackName: '', logicalId: '' },
        );
        fn.definition = { ...d, timeoutSeconds: checked.timeoutSeconds, memoryMiB: checked.memoryMiB };
      } catch (error) {
        if (error instanceof DefinitionError) return [error.status, { code: error.code, message: error.message }];
        throw error;
      }
      fn.lastModified = new Date();
      fn.revisionId = randomUUID();
      pool.retireIdle(name);
      return [200, configurationOf(fn)];
    },
    /** The next synchronous Invoke of the function loses its caller's connection (faults.ts, droppedInvokes). */
    dropNextInvoke(name: string, afterMs: number | undefined): boolean {
      if (!functions.get(name)) return false;
      faults.droppedInvokes.push({ functionName: name, ...(afterMs !== undefined && { afterMs }) });
      return true;
    },
    deactivate(name: string): boolean {
      const fn = functions.get(name);
      if (!fn) return false;
      pool.deactivate(fn);
      return true;
    },
  };
  return {
    api,
    control,
    stop() {
      pool.stopAll();
      functions.stopAll();
      for (const client of [clients.ec2, clients.efs, clients.iam, sts]) client.destroy();
    },
  };
}
