import fs from 'node:fs';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTION_FAILURES, functionFailure } from '../../../src/remote/lambda/failures.js';
import { FunctionUnavailable, invokeWriter, raised, type WriterEvent } from '../../../src/remote/lambda/invoke.js';
import { ROOT } from '../../support/repo.js';
import { sdkFake } from '../../support/sdk-fake.js';

const EVENT: WriterEvent = {
  efsync: 1,
  runId: 'r1',
  job: { url: 'https://staging.s3.amazonaws.com/job.json?X-Amz-Signature=1', sha256: 'a'.repeat(64) },
  agent: { url: 'https://staging.s3.amazonaws.com/efsync_agent.pyz?X-Amz-Signature=2', sha256: 'b'.repeat(64) },
};
const bytes = (text: string) => new TextEncoder().encode(text);

/** A Lambda client whose Invoke answers `answer` (or throws it), recording what it was sent. */
function lambda(answer: unknown) {
  const sent: { input: Record<string, unknown>; options: unknown }[] = [];
  const client = sdkFake(LambdaClient, (async (command: { input: Record<string, unknown> }, options: unknown) => {
    sent.push({ input: command.input, options });
    if (answer instanceof Error) throw answer;
    return answer;
  }) as never);
  return { client, sent };
}

const named = (name: string) => Object.assign(new Error(`${name} from Lambda`), { name });

describe('invokeWriter', () => {
  it('invokes synchronously with the event as JSON, the socket given the timeout and a minute', async () => {
    const { client, sent } = lambda({ StatusCode: 200, Payload: bytes('{"version":1}') });
    expect(await invokeWriter(client, 'efsync-writer', EVENT, 900)).toEqual({
      kind: 'returned',
      payload: '{"version":1}',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toMatchObject({ FunctionName: 'efsync-writer', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(sent[0]?.input.Payload as Uint8Array))).toEqual(EVENT);
    expect(sent[0]?.options).toEqual({ requestTimeout: 960_000 });
  });

  it('reads an unhandled error and a timeout as Lambda reports them', async () => {
    const timeout = {
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: x Error: Task timed out after 900.00 seconds',
    };
    const { client } = lambda({ StatusCode: 200, FunctionError: 'Unhandled', Payload: bytes(JSON.stringify(timeout)) });
    expect(await invokeWriter(client, 'efsync-writer', EVENT, 900)).toEqual({
      kind: 'raised',
      errorType: 'Sandbox.Timedout',
      message: timeout.errorMessage,
      timedOut: true,
    });
    expect(raised('{"errorType":"ValueError","errorMessage":"bad","stackTrace":[]}')).toEqual({
      errorType: 'ValueError',
      message: 'bad',
      timedOut: false,
    });
    // Older runtimes say only the message; a payload that is no JSON is kept, bounded.
    expect(raised('{"errorMessage":"2026-12-06T07:00:00Z r Task timed out after 3.00 seconds"}').timedOut).toBe(true);
    expect(raised('x'.repeat(5000)).message).toHaveLength(2000);
  });

  it('turns each infrastructure failure into one error with its cause and fix, and lets any other through', async () => {
    for (const name of FUNCTION_FAILURES) {
      const { client } = lambda(named(name));
      const error = await invokeWriter(client, 'efsync-writer', EVENT, 900).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(FunctionUnavailable);
      expect((error as FunctionUnavailable).errorName).toBe(name);
      expect((error as Error).message).toMatch(
        /^The writer function efsync-writer could not run the job: .+\. Fix: .+\.$/,
      );
      expect((error as Error).message).toContain(name);
    }
    const denied = named('AccessDeniedException');
    const { client } = lambda(denied);
    await expect(invokeWriter(client, 'efsync-writer', EVENT, 900)).rejects.toBe(denied);
    expect(functionFailure('toString')).toBeUndefined();
  });

  it("covers every EFS and network error of Invoke in botocore's lambda model, and throttling", () => {
    // The errors the issue and the model name; S3 Files, KMS, SnapStart and the request's own errors are not the writer's.
    for (const name of [
      'EFSMountConnectivityException',
      'EFSMountFailureException',
      'EFSMountTimeoutException',
      'EFSIOException',
      'ENILimitReachedException',
      'SubnetIPAddressLimitReachedException',
      'InvalidSubnetIDException',
      'InvalidSecurityGroupIDException',
      'ResourceNotReadyException',
      'TooManyRequestsException',
    ])
      expect(FUNCTION_FAILURES).toContain(name);
    const model = path.join(ROOT, 'node_modules/@aws-sdk/client-lambda/dist-types/models/errors.d.ts');
    const declared = fs.readFileSync(model, 'utf8');
    for (const name of FUNCTION_FAILURES) expect(declared, name).toContain(`class ${name} `);
  });
});
