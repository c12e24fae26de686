// The writer function's faults the test bed can bring about beyond one invocation: an administrator's
// UpdateFunctionConfiguration (a shorter timeout), and a caller's connection that breaks while the function runs on,
// which an SDK then tries again (the function runs twice, as Lambda's Invoke documentation warns).
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontConfig } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { createActive, createFunctionRole, definition, invoke, lambdaClient } from './lambda-support.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await createFunctionRole(aws);
}, 60_000);
afterAll(() => aws?.stop());

// Counts its invocations in the environment's memory, and takes its time when the event asks.
const COUNTER = [
  'import time',
  'count = 0',
  'def handler(event, context):',
  '    global count',
  '    count += 1',
  '    time.sleep(event.get("sleep", 0))',
  '    return {"count": count, "request": context.aws_request_id}',
  '',
].join('\n');

const invokes = async (since: number) => (await aws.log(since)).filter((e) => e.operation === 'Invoke');

describe('configuration', () => {
  it('a shorter Timeout, as UpdateFunctionConfiguration sets it, ends the next invocation at it', async () => {
    await createActive(aws, definition(aws, 'shortened', COUNTER, { Timeout: 10 }));
    const config = await aws.control('PUT', '/functions/shortened/configuration', { Timeout: 2 });
    expect(config).toMatchObject({ Timeout: 2, State: 'Active', LastUpdateStatus: 'Successful' });
    const lambda = lambdaClient(aws);
    expect(await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'shortened' }))).toMatchObject({
      Timeout: 2,
    });
    lambda.destroy();
    const answer = await invoke(aws, 'shortened', { sleep: 4 });
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(answer.text)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Error: Task timed out after 2\.00 seconds$/),
    });
  });

  it('refuses what UpdateFunctionConfiguration refuses: a Timeout under the model’s minimum, or over 900', async () => {
    const update = (name: string, body: unknown) => aws.control('PUT', `/functions/${name}/configuration`, body);
    await expect(update('shortened', { Timeout: 0 })).rejects.toThrow(/: 400 .*ValidationException.*'timeout'/);
    await expect(update('shortened', { Timeout: 901 })).rejects.toThrow(
      /: 400 .*InvalidParameterValueException.*900 seconds or less/,
    );
    await expect(update('nobody', { Timeout: 5 })).rejects.toThrow(/: 404 .*ResourceNotFoundException/);
  });
});

describe('a broken connection', () => {
  it('is off by default: one Invoke, one run', async () => {
    await createActive(aws, definition(aws, 'counted', COUNTER));
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    expect(JSON.parse((await invoke(aws, 'counted')).text)).toMatchObject({ count: 1 });
    expect(await invokes(since)).toHaveLength(1);
  });

  it('once the function answered: the SDK tries again, and the function runs again', async () => {
    await aws.control('POST', '/functions/counted/dropped-connection', {});
    const since = (await aws.log()).at(-1)?.seq ?? 0;
    const lambda = new LambdaClient(frontConfig(aws, { maxAttempts: 2 }));
    try {
      const answer = await lambda.send(new InvokeCommand({ FunctionName: 'counted', Payload: Buffer.from('{}') }));
      // The same warm environment ran both: the second delivery's count is the one the caller sees.
      expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toMatchObject({ count: 3 });
      expect(answer.$metadata.attempts).toBe(2);
    } finally {
      lambda.destroy();
    }
    expect(await invokes(since)).toHaveLength(2);
  });

  it('while the function runs: it runs on, and the retry runs beside it on a second environment', async () => {
    await aws.control('POST', '/functions/counted/dropped-connection', { afterMs: 300 });
    const lambda = new LambdaClient(frontConfig(aws, { maxAttempts: 1 }));
    try {
      const started = Date.now();
      await expect(
        lambda.send(new InvokeCommand({ FunctionName: 'counted', Payload: Buffer.from('{"sleep": 2}') })),
      ).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(Date.now() - started).toBeLessThan(1500);
      // The first is still at work: another invocation gets a new environment (its count starts afresh).
      const second = await invoke(aws, 'counted');
      expect(JSON.parse(second.text)).toMatchObject({ count: 1 });
    } finally {
      lambda.destroy();
    }
  });
});
