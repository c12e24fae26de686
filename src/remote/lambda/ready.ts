/**
 * The writer function, read and made ready to take a job ("Lambda function states", Lambda Developer Guide):
 * - Pending after it is created or updated: Lambda invokes nothing until it is Active; wait.
 * - Inactive after it sat idle long enough for Lambda to reclaim its VPC resources: "when you try to invoke a function
 *   that is inactive, the invocation fails and Lambda sets the function to pending state until the function resources
 *   are recreated". So one invocation that carries no job wakes it (it fails, as documented), then wait for Active.
 * - Failed (or any other state): it cannot run a job; its StateReason says why.
 * Waits are the SDK's waiter (GetFunctionConfiguration until Active), capped.
 */
import {
  GetFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandOutput,
  InvokeCommand,
  type LambdaClient,
  waitUntilFunctionActive,
} from '@aws-sdk/client-lambda';
import { EfsyncError } from '../../core/errors.js';

/** Lambda recreates an inactive function's VPC resources in minutes; more than this is a failure to report. */
export const READY_WAIT_SECONDS = 300;

/** What the run needs to know of the function. */
export interface WriterFunction {
  name: string;
  arn: string;
  runtime: string;
  architecture: string;
  timeoutSeconds: number;
  memoryMiB: number;
  ephemeralMiB: number;
  /** The access point it mounts and where (FileSystemConfigs[0]). */
  accessPointArn: string;
  mountPath: string;
}

export class FunctionNotReady extends EfsyncError {}

export async function readyFunction(
  lambda: LambdaClient,
  name: string,
  log: (line: string) => void,
  maxWaitSeconds = READY_WAIT_SECONDS,
  /** Told what the function is as soon as it is read, before any wait: its runtime and architecture stay. */
  onRead?: (described: WriterFunction) => void,
): Promise<WriterFunction> {
  let found = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  onRead?.(describe(found));
  if (found.State === 'Inactive') {
    log(`The writer function ${name} is Inactive (idle long enough for Lambda to reclaim its network): waking it.`);
    // Documented to fail, and to start making the function ready again. Its event is no job: should the function be
    // Active by then, its code refuses it at once (agent/writer/index.py takes version 1 events only).
    const wake = new TextEncoder().encode(JSON.stringify({ efsync: 'wake' }));
    await lambda.send(new InvokeCommand({ FunctionName: name, Payload: wake })).catch(() => undefined);
    found = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  }
  if (found.State === 'Pending' || found.State === 'Inactive') {
    log(`The writer function ${name} is ${found.State}: waiting until it is Active (at most ${maxWaitSeconds} s).`);
    const waited = await waitUntilFunctionActive(
      { client: lambda, maxWaitTime: maxWaitSeconds, minDelay: 1, maxDelay: 5 },
      { FunctionName: name },
    ).catch((error: unknown) => {
      throw new FunctionNotReady(
        `The writer function ${name} did not become Active within ${maxWaitSeconds} s (${(error as Error).message}). ` +
          'Run again; if it stays so, look at its State and StateReason (aws lambda get-function-configuration).',
      );
    });
    found = waited.reason as GetFunctionConfigurationCommandOutput;
  }
  if (found.State !== 'Active') {
    throw new FunctionNotReady(
      `The writer function ${name} is ${found.State}: ${found.StateReason ?? 'no reason given'} ` +
        `(${found.StateReasonCode ?? 'no code'}). Fix its configuration and update the stack, or use engine: instance.`,
    );
  }
  return describe(found);
}

/**
 * The function made ready (readyFunction), and what it is as soon as it is first read: a job can be decided on that
 * (remote/lambda/imports.ts) while the function is still waking up.
 */
export function openWriter(
  lambda: LambdaClient,
  name: string,
  log: (line: string) => void,
): { described: Promise<WriterFunction>; ready: Promise<WriterFunction> } {
  let read: (described: WriterFunction) => void = () => undefined;
  const first = new Promise<WriterFunction>((resolve) => {
    read = resolve;
  });
  const ready = readyFunction(lambda, name, log, READY_WAIT_SECONDS, read);
  // Should the first read fail, ready fails with its error, and so does this.
  return { described: Promise.race([first, ready]), ready };
}

function describe(found: GetFunctionConfigurationCommandOutput): WriterFunction {
  const mount = found.FileSystemConfigs?.[0];
  return {
    name: found.FunctionName ?? '',
    arn: found.FunctionArn ?? '',
    runtime: found.Runtime ?? '',
    architecture: found.Architectures?.[0] ?? 'x86_64',
    timeoutSeconds: found.Timeout ?? 3,
    memoryMiB: found.MemorySize ?? 128,
    ephemeralMiB: found.EphemeralStorage?.Size ?? 512,
    accessPointArn: mount?.Arn ?? '',
    mountPath: mount?.LocalMountPath ?? '',
  };
}
