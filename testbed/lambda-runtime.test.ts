// Lambda functions on the test bed, beyond the handler's own sandbox: SDK calls from the handler reach the bed as the
// execution role, the runtime's Python version, the memory bound, and the invocation types that do not wait.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from './client.ts';
import { findPython } from './lambda-env.ts';
import { createActive, createFunctionRole, definition, invoke, lambdaClient } from './lambda-support.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await createFunctionRole(aws);
}, 60_000);
afterAll(() => aws?.stop());

describe('a function', () => {
  it("reaches the bed from the handler with the execution role's credentials, evaluated against its policies", async () => {
    const code = [
      'import boto3, botocore',
      'def handler(event, context):',
      '    me = boto3.client("sts").get_caller_identity()["Arn"]',
      '    try:',
      '        boto3.client("ec2").describe_instances()',
      '        ec2 = "allowed"',
      '    except botocore.exceptions.ClientError as e:',
      '        ec2 = e.response["Error"]["Code"]',
      '    return {"me": me, "ec2": ec2}',
      '',
    ].join('\n');
    await createActive(aws, definition(aws, 'caller', code, { Timeout: 30 }));
    const before = (await aws.log()).length;
    const answer = await invoke(aws, 'caller');
    expect(JSON.parse(answer.text)).toEqual({
      me: 'arn:aws:sts::123456789012:assumed-role/efsync-writer-function/caller',
      ec2: 'UnauthorizedOperation',
    });
    const entry = (await aws.log(before)).find((e) => e.operation === 'DescribeInstances');
    expect(entry?.iam).toMatchObject({
      principal: 'arn:aws:sts::123456789012:assumed-role/efsync-writer-function/caller',
      allowed: false,
    });
  });

  it('runs pythonX.Y with that Python, or the nearest the machine has; the Init output comes before START', async () => {
    const code =
      'import sys\nprint("importing")\ndef handler(event, context):\n    return "%d.%d" % sys.version_info[:2]\n';
    await createActive(aws, definition(aws, 'py39', code, { Runtime: 'python3.9' }));
    const answer = await invoke(aws, 'py39', {}, { LogType: 'Tail' });
    expect(answer.text).toBe('"3.9"');
    expect(Buffer.from(answer.LogResult ?? '', 'base64').toString()).toMatch(/^importing\nSTART RequestId: /);
    await createActive(aws, definition(aws, 'py314', code, { Runtime: 'python3.14' }));
    expect((await invoke(aws, 'py314')).text).toBe(`"${findPython('python3.14').version}"`);
  });

  it('ends an invocation that goes past its memory: Runtime.OutOfMemory', async () => {
    const code = [
      'def handler(event, context):',
      '    block = bytearray(1024 * 1024 * 1024)',
      '    for i in range(0, len(block), 4096):',
      '        block[i] = 1',
      '    return "survived"',
      '',
    ].join('\n');
    await createActive(aws, definition(aws, 'hungry', code, { MemorySize: 128, Timeout: 30 }));
    const answer = await invoke(aws, 'hungry');
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(answer.text)).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
  });

  it('answers DryRun 204 and Event 202 without waiting', async () => {
    await createActive(aws, definition(aws, 'kinds', 'import time\ndef handler(e, c):\n    time.sleep(2)\n'));
    const lambda = lambdaClient(aws);
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'kinds', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    const started = Date.now();
    const event = await lambda.send(new InvokeCommand({ FunctionName: 'kinds', InvocationType: 'Event' }));
    expect(event.StatusCode).toBe(202);
    expect(Date.now() - started).toBeLessThan(1500);
    lambda.destroy();
  });
});
