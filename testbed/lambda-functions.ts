// Lambda functions as the test bed knows them: each created from an AWS::Lambda::Function definition as CloudFormation
// renders it (the seed makes one for every such resource of a rendered stack; a test adds its own through the control
// endpoint), checked as CreateFunction would check it, and their state (what GetFunctionConfiguration shows of them:
// lambda-config.ts).
//
// - Code.ZipFile: "CloudFormation places it in a file named index and zips it ... For the Handler property, the first
//   part of the handler identifier must be index. For example, index.handler." (AWS::Lambda::Function Code, ZipFile,
//   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html);
//   for a Python runtime that file is index.py. The bed runs Python functions with inline code only.
// - The definition is checked against botocore's lambda model (CreateFunctionRequest: FunctionName, Role and Handler
//   patterns, the Runtime enum, Timeout, MemorySize, EphemeralStorage 512..10240, LocalMountPath "/mnt/[a-zA-Z0-9-_.]+",
//   list lengths), as Lambda words a violation (conformance.ts). The model leaves Timeout without a maximum and gives
//   MemorySize 32,768 (for functions on capacity providers); a function's own limits are "Timeout ... The maximum
//   allowed value is 900 seconds" and memory "between 128 MB and 10,240 MB" (Configure Lambda function timeout,
//   https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html; Configure Lambda function memory,
//   https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
// - Defaults when the definition leaves them out: Timeout 3, MemorySize 128, EphemeralStorage 512, Architectures
//   [x86_64] (AWS::Lambda::Function, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html).
// - A name CloudFormation generates: "<stack>-<logical id>-<suffix>" (stacks.ts), at most 64 characters.
import { randomUUID } from 'node:crypto';
import { checkRequest } from './conformance.ts';
import { ACCOUNT, generatedName } from './stacks.ts';

export interface FunctionDefinition {
  name: string;
  arn: string;
  role: string;
  runtime: string;
  handler: string;
  code: string;
  description: string;
  architectures: string[];
  memoryMiB: number;
  timeoutSeconds: number;
  ephemeralMiB: number;
  environment: Record<string, string>;
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  fileSystems: { arn: string; localMountPath: string }[];
  reservedConcurrency?: number;
}

export type State = 'Pending' | 'Active' | 'Inactive';

export interface LambdaFunction {
  definition: FunctionDefinition;
  state: State;
  stateReasonCode: 'Creating' | 'Restoring' | 'Idle' | undefined;
  lastModified: Date;
  revisionId: string;
  lastInvoked: number;
  /** The VPC of its subnets (VpcConfig.VpcId), once the bed looked it up. */
  vpcId?: string;
  timer?: NodeJS.Timeout | undefined;
}

/** A definition Lambda refuses: the error code, HTTP status and message it answers with. */
export class DefinitionError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

// Variables the runtime sets, which a function's configuration may not ("Defined runtime environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime: "The keys for
// these environment variables are reserved and cannot be set in your function configuration").
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

const num = (value: unknown, fallback: number): number => (value === undefined ? fallback : Number(value));
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * A function from its CloudFormation properties (as the template renders them), checked as CreateFunction checks it.
 * `stackName` and `logicalId` name a function whose definition has no FunctionName.
 */
export function defineFunction(
  properties: Record<string, unknown>,
  region: string,
  names: { stackName: string; logicalId: string },
): FunctionDefinition {
  const name =
    typeof properties.FunctionName === 'string' && properties.FunctionName !== ''
      ? properties.FunctionName
      : generatedName(names.stackName, names.logicalId, 64);
  const code = (properties.Code ?? {}) as Record<string, unknown>;
  const vpcConfig = properties.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown } | undefined;
  const ephemeral = (properties.EphemeralStorage ?? {}) as { Size?: unknown };
  const environment = ((properties.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
  const input: Record<string, unknown> = {
    FunctionName: name,
    Role: properties.Role,
    Runtime: properties.Runtime,
    Handler: properties.Handler,
    Code: { ZipFile: Buffer.from(String(code.ZipFile ?? '')).toString('base64') },
    ...(properties.Description !== undefined && { Description: String(properties.Description) }),
    Timeout: num(properties.Timeout, 3),
    MemorySize: num(properties.MemorySize, 128),
    EphemeralStorage: { Size: num(ephemeral.Size, 512) },
    Architectures: properties.Architectures === undefined ? ['x86_64'] : strings(properties.Architectures),
    Environment: { Variables: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])) },
    ...(vpcConfig && {
      VpcConfig: { SubnetIds: strings(vpcConfig.SubnetIds), SecurityGroupIds: strings(vpcConfig.SecurityGroupIds) },
    }),
    ...(properties.FileSystemConfigs !== undefined && { FileSystemConfigs: properties.FileSystemConfigs }),
  };
  // moto issues access point ids of 8 hex digits where EFS issues 17, which the model's FileSystemArn pattern asks for:
  // the ARN is checked with the id as EFS would have issued it, the rest as given.
  const checked = {
    ...input,
    ...(Array.isArray(input.FileSystemConfigs) && {
      FileSystemConfigs: (input.FileSystemConfigs as Record<string, unknown>[]).map((f) => ({
        ...f,
        Arn: String(f.Arn).replace(
          /(access-point\/fsap-)([0-9a-f]{8})$/,
          (_, head, id) => `${head}${id.padEnd(17, '0')}`,
        ),
      })),
    }),
  };
  // The service model's constraints, worded as Lambda words them (CreateFunction: POST /2015-03-31/functions).
  const verdict = checkRequest(
    'lambda',
    'rest-json',
    'POST',
    new URL('http://lambda/2015-03-31/functions'),
    {},
    Buffer.from(JSON.stringify(checked)),
    'CreateFunction',
  );
  if (verdict.status === 'refused') throw new DefinitionError(verdict.code, verdict.message, verdict.httpStatus);
  if (verdict.status === 'unchecked')
    throw new Error(`the lambda model could not check the definition: ${verdict.reason}`);
  const invalid = (message: string) => new DefinitionError('InvalidParameterValueException', message);
  if (code.ZipFile === undefined) throw invalid('The test bed runs functions with inline code (Code.ZipFile) only.');
  // "Runtime is required if the deployment package is a .zip file archive" (FunctionConfiguration.Runtime, the model);
  // so is the handler that Lambda calls.
  if (input.Runtime === undefined || input.Handler === undefined)
    throw invalid('Runtime and Handler are required for a .zip file deployment package.');
  const runtime = String(input.Runtime);
  if (!/^python3\.\d+$/.test(runtime)) throw invalid(`The test bed runs Python functions only, not ${runtime}.`);
  if (Number(input.Timeout) > 900) throw invalid('Timeout must be 900 seconds or less.');
  if (Number(input.MemorySize) > 10240) throw invalid('MemorySize must be 10240 MB or less.');
  const reserved = Object.keys(environment).filter((k) => RESERVED.has(k));
  if (reserved.length)
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  const fileSystems = ((input.FileSystemConfigs ?? []) as { Arn: string; LocalMountPath: string }[]).map((f) => ({
    arn: String(f.Arn),
    localMountPath: String(f.LocalMountPath),
  }));
  // A function reaches a file system through the VPC it is connected to (Configuring file system access for Lambda
  // functions, https://docs.aws.amazon.com/lambda/latest/dg/configuration-filesystem.html).
  if (fileSystems.length && !vpcConfig?.SubnetIds)
    throw invalid('A function with a file system must be connected to a VPC (VpcConfig).');
  const reservedConcurrency =
    properties.ReservedConcurrentExecutions === undefined ? undefined : Number(properties.ReservedConcurrentExecutions);
  if (reservedConcurrency !== undefined && !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 0))
    throw invalid('ReservedConcurrentExecutions must be a whole number, 0 or more.');
  return {
    name,
    arn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
    role: String(input.Role),
    runtime,
    handler: String(input.Handler),
    code: String(code.ZipFile),
    description: String(properties.Description ?? ''),
    architectures: input.Architectures as string[],
    memoryMiB: Number(input.MemorySize),
    timeoutSeconds: Number(input.Timeout),
    ephemeralMiB: Number((input.EphemeralStorage as { Size: number }).Size),
    environment: (input.Environment as { Variables: Record<string, string> }).Variables,
    ...(vpcConfig && {
      vpc: { subnetIds: strings(vpcConfig.SubnetIds), securityGroupIds: strings(vpcConfig.SecurityGroupIds) },
    }),
    fileSystems,
    ...(reservedConcurrency !== undefined && { reservedConcurrency }),
  };
}

/** The functions of the bed's account. */
export class LambdaFunctions {
  private readonly functions = new Map<string, LambdaFunction>();

  add(definition: FunctionDefinition): LambdaFunction {
    const existing = this.functions.get(definition.name);
    if (existing)
      throw new DefinitionError('ResourceConflictException', `Function already exist: ${definition.name}`, 409);
    const fn: LambdaFunction = {
      definition,
      state: 'Pending',
      stateReasonCode: 'Creating',
      lastModified: new Date(),
      revisionId: randomUUID(),
      lastInvoked: Date.now(),
    };
    this.functions.set(definition.name, fn);
    return fn;
  }

  get(name: string): LambdaFunction | undefined {
    return this.functions.get(name);
  }

  list(): LambdaFunction[] {
    return [...this.functions.values()];
  }

  /** Puts a function in a state now; `then` (ms) moves it on to Active after that long. */
  setState(fn: LambdaFunction, state: State, code: LambdaFunction['stateReasonCode'], activeAfterMs?: number): void {
    if (fn.timer) clearTimeout(fn.timer);
    fn.timer = undefined;
    fn.state = state;
    fn.stateReasonCode = code;
    if (activeAfterMs === undefined) return;
    fn.timer = setTimeout(() => {
      fn.state = 'Active';
      fn.stateReasonCode = undefined;
      fn.timer = undefined;
    }, activeAfterMs);
    fn.timer.unref();
  }

  stopAll(): void {
    for (const fn of this.functions.values()) if (fn.timer) clearTimeout(fn.timer);
  }
}
