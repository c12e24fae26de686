// Lambda's API as the test bed answers it, behind the front (which has logged the call, checked it against the lambda
// model and evaluated it against the caller's IAM policies): GetFunction, GetFunctionConfiguration and Invoke, in
// Lambda's REST-JSON protocol (botocore's lambda model: /2015-03-31/functions/{FunctionName}, .../configuration,
// .../invocations). Errors are the model's error shapes: the code in x-amzn-ErrorType, the HTTP status of the shape,
// a body {"Type": "User"|"Service", "Message"|"message": …} with the member names of the shape.
//
// Invoke (Invoke, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
// - a Pending function is not invoked: ResourceConflictException, "The operation cannot be performed at this time.
//   The function is currently in the following state: Pending" (as quoted in remotion-dev/remotion#1186); an Inactive
//   one fails and goes back through Pending to Active (Lambda function states,
//   https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html), with ResourceNotReadyException (502: "The
//   function is inactive and its VPC connection is no longer available", the model's shape);
// - RequestResponse answers 200 with the result, or with X-Amz-Function-Error: Unhandled and the runtime's error
//   document; Event 202 at once; DryRun 204 (InvocationResponse.StatusCode, the model);
// - LogType Tail: X-Amz-Log-Result, "The last 4 KB of the execution log, which is base64-encoded" (the model), the log
//   being START / the function's output / END / REPORT, as Lambda writes it;
// - a timed-out invocation answers 200, Unhandled, {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: <id>
//   Error: Task timed out after 3.00 seconds"} (AWS's answer as quoted in floci-io/floci#3314; "Sandbox.Timedout",
//   Troubleshoot invocation issues in Lambda, https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html),
//   and a runtime that exited, Runtime.ExitError ("RequestId: <id> Error: Runtime exited with error: signal: killed",
//   same issue), Runtime.OutOfMemory when it reached its memory;
// - beyond ReservedConcurrentExecutions concurrent invocations: TooManyRequestsException (429), Reason
//   ReservedFunctionConcurrentInvocationLimitExceeded (the model's ThrottleReason), "Rate Exceeded.";
// - a body that is not JSON: InvalidRequestContentException (400); over 6 MB (1 MB for Event):
//   RequestTooLargeException (413);
// - a caller's connection that breaks (a switch, faults.ts droppedInvokes) ends no invocation: "For functions with a
//   long timeout, your client might disconnect during synchronous invocation while it waits for a response", and
//   "your function may be invoked multiple times" (the model's Invoke documentation) when the client tries again.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { type ErrorReply, errorReply } from './aws-protocol.ts';
import type { Faults } from './faults.ts';
import { parseFunctionName } from './iam-requests.ts';
import { configurationOf } from './lambda-config.ts';
import { MountError } from './lambda-efs.ts';
import type { Outcome } from './lambda-env.ts';
import type { LambdaFunction, LambdaFunctions } from './lambda-functions.ts';
import { sleep } from './latency.ts';

export interface Runner {
  /**
   * Runs one invocation on a warm environment of the function, or a new one, after which it awaits `onCold` with how
   * long the bed took to start that environment; throws a MountError.
   */
  run(
    fn: LambdaFunction,
    event: string,
    requestId: string,
    onCold: (startedInMs: number) => Promise<void>,
  ): Promise<Outcome>;
  busy(name: string): number;
  /** Ends the function's environments (it became Inactive). */
  retire(name: string): void;
}

// The member names of each error shape (botocore's lambda model) and its HTTP status.
const ERRORS: Record<string, { status: number; member: 'Message' | 'message'; type: 'User' | 'Service' }> = {
  ResourceNotFoundException: { status: 404, member: 'Message', type: 'User' },
  ResourceConflictException: { status: 409, member: 'message', type: 'User' },
  ResourceNotReadyException: { status: 502, member: 'message', type: 'Service' },
  TooManyRequestsException: { status: 429, member: 'message', type: 'User' },
  InvalidRequestContentException: { status: 400, member: 'message', type: 'User' },
  RequestTooLargeException: { status: 413, member: 'message', type: 'User' },
  EFSMountConnectivityException: { status: 408, member: 'Message', type: 'User' },
  EFSMountFailureException: { status: 403, member: 'Message', type: 'User' },
  EFSMountTimeoutException: { status: 408, member: 'Message', type: 'User' },
  InvalidParameterValueException: { status: 400, member: 'message', type: 'User' },
  ServiceException: { status: 500, member: 'Message', type: 'Service' },
};

export function lambdaError(code: string, message: string, extra: Record<string, string> = {}): ErrorReply {
  const shape = ERRORS[code] ?? { status: 400, member: 'Message', type: 'User' };
  return {
    status: shape.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': code,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ Type: shape.type, [shape.member]: message, ...extra }),
  };
}

const LOG_TAIL_BYTES = 4096;
const MAX_PAYLOAD = 6 * 1024 * 1024;
const MAX_EVENT_PAYLOAD = 1024 * 1024;

/** The invocation's log as Lambda writes it: START, the function's output, END, REPORT. */
function logOf(id: string, fn: LambdaFunction, outcome: Outcome): string {
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const billed = Math.max(1, Math.ceil(outcome.durationMs));
  const init = outcome.initMs === undefined ? '' : `\tInit Duration: ${ms(outcome.initMs)}`;
  const lines = (text: string | undefined) => (text && !text.endsWith('\n') ? `${text}\n` : (text ?? ''));
  const output = lines(outcome.output);
  // What the module printed as it was imported comes first, in the Init phase, before START.
  return (
    `${lines(outcome.initOutput)}START RequestId: ${id} Version: $LATEST\n${output}END RequestId: ${id}\n` +
    `REPORT RequestId: ${id}\tDuration: ${ms(outcome.durationMs)}\tBilled Duration: ${billed} ms\t` +
    `Memory Size: ${fn.definition.memoryMiB} MB\tMax Memory Used: ${outcome.maxMemoryMiB} MB${init}\t\n`
  );
}

export interface LambdaApiDeps {
  functions: LambdaFunctions;
  runner: Runner;
  faults: Faults;
  region: string;
}

export class LambdaApi {
  private readonly deps: LambdaApiDeps;

  constructor(deps: LambdaApiDeps) {
    this.deps = deps;
  }

  /** Answers a Lambda request; returns the status it answered. */
  async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    operation: string,
    body: Buffer | undefined,
  ): Promise<number> {
    const reply = await this.answer(req, url, operation, body ?? Buffer.alloc(0));
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
    return reply.status;
  }

  private async answer(req: http.IncomingMessage, url: URL, operation: string, body: Buffer): Promise<ErrorReply> {
    const { functions, region } = this.deps;
    // Functions are made as CloudFormation makes them (the seed, POST /__testbed/functions), not through the API.
    if (!['GetFunction', 'GetFunctionConfiguration', 'Invoke'].includes(operation))
      return errorReply('rest-json', 'UnknownOperationException', `The test bed does not answer ${operation}.`, 404);
    const named = /^\/2015-03-31\/functions\/([^/]+)/.exec(url.pathname)?.[1] ?? '';
    const { name, arn, qualifier } = parseFunctionName(decodeURIComponent(named), region);
    const fn = functions.get(name);
    const which = qualifier ?? url.searchParams.get('Qualifier') ?? undefined;
    // Only $LATEST exists: the bed publishes no versions or aliases.
    if (!fn || (which !== undefined && which !== '$LATEST'))
      return lambdaError('ResourceNotFoundException', `Function not found: ${arn}${which ? `:${which}` : ''}`);
    const json = (value: unknown, status = 200): ErrorReply => ({
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
      body: JSON.stringify(value),
    });
    if (operation === 'GetFunctionConfiguration') return json(configurationOf(fn));
    if (operation === 'GetFunction') {
      const reserved = fn.definition.reservedConcurrency;
      return json({
        Configuration: configurationOf(fn),
        // A presigned URL of the deployment package on AWS; the bed serves none.
        Code: { RepositoryType: 'S3', Location: `https://awslambda-${region}-tasks.s3.${region}.amazonaws.com/` },
        ...(reserved !== undefined && { Concurrency: { ReservedConcurrentExecutions: reserved } }),
      });
    }
    return this.invoke(req, fn, body);
  }

  private async invoke(req: http.IncomingMessage, fn: LambdaFunction, body: Buffer): Promise<ErrorReply> {
    const { functions, faults, runner } = this.deps;
    if (fn.state === 'Pending')
      return lambdaError(
        'ResourceConflictException',
        'The operation cannot be performed at this time. The function is currently in the following state: Pending',
      );
    if (fn.state === 'Inactive') {
      functions.setState(fn, 'Pending', 'Restoring', faults.settings.functionPendingMs);
      return lambdaError(
        'ResourceNotReadyException',
        'The function is inactive and its VPC connection is no longer available. Wait for the VPC connection to reestablish and try again.',
      );
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    // "For synchronous invocations, the maximum payload size is 6 MB. For asynchronous invocations, the maximum
    // payload size is 1 MB." (the model's Invoke documentation)
    const limit = type === 'Event' ? MAX_EVENT_PAYLOAD : MAX_PAYLOAD;
    if (body.length > limit)
      return lambdaError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      );
    const event = body.toString('utf8');
    if (event.trim() !== '') {
      try {
        JSON.parse(event);
      } catch (error) {
        return lambdaError(
          'InvalidRequestContentException',
          `Could not parse request body into json: ${String(error)}`,
        );
      }
    }
    const id = randomUUID();
    const base = { 'x-amzn-requestid': id, 'x-amz-executed-version': '$LATEST' };
    if (type === 'DryRun') return { status: 204, headers: base, body: '' };
    const reserved = fn.definition.reservedConcurrency;
    const throttled = () => reserved !== undefined && runner.busy(fn.definition.name) >= reserved;
    fn.lastInvoked = Date.now();
    const latency = faults.settings.latency;
    const warm = latency?.lambdaWarmInvokeMs ?? 0;
    const start = () =>
      runner.run(fn, event, id, async (startedInMs) => {
        // The cold start's figure is Lambda's whole start of an environment; the bed's own start is part of it, and so
        // is the warm invocation's wait, which runs beside this one (below).
        await sleep(Math.max(0, (latency?.lambdaColdStartMs ?? 0) - startedInMs));
      });
    if (type === 'Event') {
      // Queued: the caller does not wait, nor see what happens; a throttled event waits in the queue for a free
      // execution ("Lambda ... returns a success response without additional information ... a separate process reads
      // events from the queue", Asynchronous invocation, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
      void (async () => {
        while (throttled()) await sleep(100);
        await start().catch(() => undefined);
      })();
      return { status: 202, headers: base, body: '' };
    }
    if (throttled())
      return lambdaError('TooManyRequestsException', 'Rate Exceeded.', {
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    // A connection that breaks (faults.ts, droppedInvokes): the caller gets no answer, the invocation runs on.
    const dropAt = faults.droppedInvokes.findIndex((d) => d.functionName === fn.definition.name);
    const drop = dropAt < 0 ? undefined : faults.droppedInvokes.splice(dropAt, 1)[0];
    if (drop?.afterMs !== undefined) setTimeout(() => req.socket.destroy(), drop.afterMs).unref();
    const running = start();
    running.catch(() => undefined); // answered below, once the warm wait is over
    await sleep(warm);
    let outcome: Outcome;
    try {
      outcome = await running;
    } catch (error) {
      if (error instanceof MountError) return lambdaError(error.code, error.message);
      throw error;
    } finally {
      if (drop && drop.afterMs === undefined) req.socket.destroy();
    }
    fn.lastInvoked = Date.now();
    const seconds = fn.definition.timeoutSeconds.toFixed(2);
    let payload = outcome.payload;
    let log = logOf(id, fn, outcome);
    if (outcome.kind === 'timeout') {
      payload = JSON.stringify({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${id} Error: Task timed out after ${seconds} seconds`,
      });
      log += `${new Date().toISOString()} ${id} Task timed out after ${seconds} seconds\n`;
    } else if (outcome.kind === 'exit') {
      const oom = outcome.maxMemoryMiB >= fn.definition.memoryMiB;
      payload = JSON.stringify({
        errorType: oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError',
        errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed`,
      });
    }
    const tail = Buffer.from(log).subarray(-LOG_TAIL_BYTES).toString('base64');
    return {
      status: 200,
      headers: {
        ...base,
        'content-type': 'application/json',
        ...(outcome.kind !== 'result' && { 'x-amz-function-error': 'Unhandled' }),
        ...(req.headers['x-amz-log-type'] === 'Tail' && { 'x-amz-log-result': tail }),
      },
      body: payload,
    };
  }
}
