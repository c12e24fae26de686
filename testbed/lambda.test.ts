// Lambda functions on the test bed, with the real SDK v3 client: a function's definition as CloudFormation renders it,
// Lambda's API through the front (logged, checked against the model, evaluated against IAM), and Invoke running the
// handler in a sandbox as Lambda runs it: /var/task read-only, only /tmp writable, the access point at its mount path
// as its POSIX user, Lambda's environment, timeouts and exceptions answered as Lambda answers them.
import fs from 'node:fs';
import path from 'node:path';
import { GetFunctionCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from './client.ts';
import { createActive, createFunctionRole, definition, invoke, lambdaClient, waitActive } from './lambda-support.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await createFunctionRole(aws);
}, 60_000);
afterAll(() => aws?.stop());

describe('a function definition', () => {
  it('is refused as CreateFunction refuses it: the model and the documented limits', async () => {
    const bad = definition(aws, 'bad-mount', 'def handler(e, c): pass\n');
    bad.Properties.FileSystemConfigs = [
      { Arn: bad.Properties.FileSystemConfigs[0]?.Arn ?? '', LocalMountPath: '/data' },
    ];
    await expect(aws.control('POST', '/functions', bad)).rejects.toThrow(
      /ValidationException.*Value '\/data' at 'fileSystemConfigs.1.member.localMountPath' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    const slow = definition(aws, 'too-slow', 'def handler(e, c): pass\n', { Timeout: 901 });
    await expect(aws.control('POST', '/functions', slow)).rejects.toThrow(/InvalidParameterValueException.*900/);
    const reserved = definition(aws, 'reserved', 'def handler(e, c): pass\n', {
      Environment: { Variables: { AWS_REGION: 'eu-west-1' } },
    });
    await expect(aws.control('POST', '/functions', reserved)).rejects.toThrow(/reserved keys.*AWS_REGION/);
    // The seeded file system has a mount target in the first subnet's zone only.
    const spread = definition(aws, 'spread', 'def handler(e, c): pass\n');
    spread.Properties.VpcConfig.SubnetIds = aws.info.subnetIds;
    await expect(aws.control('POST', '/functions', spread)).rejects.toThrow(
      /InvalidParameterValueException.*does not have mount targets created in all availability zones the function will execute in/,
    );
  });

  it('is Pending first, refusing Invoke with ResourceConflictException, then Active', async () => {
    const name = 'pending-then-active';
    const created = await aws.control<{ State: string; StateReasonCode: string }>(
      'POST',
      '/functions',
      definition(aws, name, 'def handler(event, context):\n    return "ok"\n'),
    );
    expect(created).toMatchObject({ State: 'Pending', StateReasonCode: 'Creating' });
    await expect(invoke(aws, name)).rejects.toMatchObject({
      name: 'ResourceConflictException',
      $metadata: { httpStatusCode: 409 },
      message: expect.stringMatching(/currently in the following state: Pending/),
    });
    await waitActive(aws, name);
    const lambda = lambdaClient(aws);
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    expect(config).toMatchObject({
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Runtime: 'python3.11',
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 5,
      EphemeralStorage: { Size: 512 },
      Architectures: ['x86_64'],
      VpcConfig: { SubnetIds: [aws.info.subnetIds[0]], SecurityGroupIds: [aws.info.instanceSecurityGroupId] },
      FileSystemConfigs: [{ LocalMountPath: '/mnt/efs' }],
      Role: `arn:aws:iam::123456789012:role/efsync-writer-function`,
    });
    expect((await invoke(aws, name)).text).toBe('"ok"');
    // By name, ARN or partial ARN; an unknown one is not found.
    const arn = `arn:aws:lambda:${aws.info.region}:123456789012:function:${name}`;
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: arn }));
    expect(got.Configuration?.FunctionArn).toBe(arn);
    const partial = await lambda.send(new GetFunctionCommand({ FunctionName: `123456789012:function:${name}` }));
    expect(partial.Configuration?.FunctionName).toBe(name);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'nobody' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    lambda.destroy();
  });
});

describe('Invoke', () => {
  it('writes through the access point as its POSIX user; only /tmp and the mount are writable', async () => {
    const code = [
      'import os',
      'def handler(event, context):',
      '    out = {}',
      '    for p in ["/mnt/efs/written.txt", "/tmp/scratch", "/var/task/x", "/x", "/var/runtime/x", "/dev/shm/x"]:',
      '        try:',
      '            with open(p, "w") as f: f.write(event["text"])',
      '            out[p] = "ok"',
      '        except OSError as e:',
      '            out[p] = e.strerror',
      '    out["uid"] = os.getuid()',
      '    out["gid"] = os.getgid()',
      '    return out',
      '',
    ].join('\n');
    await createActive(aws, definition(aws, 'writer', code));
    const answer = await invoke(aws, 'writer', { text: 'hello from lambda' });
    expect(answer.FunctionError).toBeUndefined();
    expect(JSON.parse(answer.text)).toEqual({
      '/mnt/efs/written.txt': 'ok',
      '/tmp/scratch': 'ok',
      '/var/task/x': 'Read-only file system',
      '/x': 'Read-only file system',
      '/var/runtime/x': 'Read-only file system',
      '/dev/shm/x': 'Read-only file system',
      uid: 1000,
      gid: 1000,
    });
    // The access point's root directory (/lambda) on the bed's copy of the file system.
    const written = path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'lambda', 'written.txt');
    expect(fs.readFileSync(written, 'utf8')).toBe('hello from lambda');
    expect(fs.statSync(written)).toMatchObject({ uid: 1000, gid: 1000 });
  });

  it("gives the handler Lambda's environment and context, and the function's own variables", async () => {
    const code = [
      'import os',
      'def handler(event, context):',
      '    return {"env": dict(os.environ), "cwd": os.getcwd(), "context": {',
      '        "function_name": context.function_name, "function_version": context.function_version,',
      '        "invoked_function_arn": context.invoked_function_arn, "memory_limit_in_mb": context.memory_limit_in_mb,',
      '        "aws_request_id": context.aws_request_id, "log_group_name": context.log_group_name,',
      '        "remaining": context.get_remaining_time_in_millis()}}',
      '',
    ].join('\n');
    await createActive(aws, definition(aws, 'environment', code, { Environment: { Variables: { TARGET: 'models' } } }));
    const answer = await invoke(aws, 'environment');
    const { env, cwd, context } = JSON.parse(answer.text);
    expect(env).toMatchObject({
      _HANDLER: 'index.handler',
      AWS_REGION: aws.info.region,
      AWS_DEFAULT_REGION: aws.info.region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_python3.11',
      AWS_LAMBDA_FUNCTION_NAME: 'environment',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/environment',
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PYTHONPATH: '/var/runtime',
      TARGET: 'models',
      AWS_ENDPOINT_URL: aws.info.endpoint,
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env.AWS_ACCESS_KEY_ID).toMatch(/\S/);
    expect(env.AWS_SESSION_TOKEN).toMatch(/\S/);
    expect(env.PATH).toBe('/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin');
    expect(cwd).toBe('/var/task');
    expect(context).toMatchObject({
      function_name: 'environment',
      function_version: '$LATEST',
      invoked_function_arn: `arn:aws:lambda:${aws.info.region}:123456789012:function:environment`,
      memory_limit_in_mb: '512',
      log_group_name: '/aws/lambda/environment',
      aws_request_id: answer.$metadata.requestId,
    });
    expect(context.remaining).toBeGreaterThan(3000);
  });

  it('keeps an environment warm: the next invocation finds /tmp and module state, with no Init Duration', async () => {
    const code = [
      'import os',
      'count = 0',
      'def handler(event, context):',
      '    global count',
      '    count += 1',
      '    found = os.path.exists("/tmp/mark")',
      '    open("/tmp/mark", "w").close()',
      '    return {"count": count, "found": found}',
      '',
    ].join('\n');
    await createActive(aws, definition(aws, 'warm', code));
    const first = await invoke(aws, 'warm', {}, { LogType: 'Tail' });
    const second = await invoke(aws, 'warm', {}, { LogType: 'Tail' });
    expect(JSON.parse(first.text)).toEqual({ count: 1, found: false });
    expect(JSON.parse(second.text)).toEqual({ count: 2, found: true });
    expect(Buffer.from(first.LogResult ?? '', 'base64').toString()).toMatch(/Init Duration: [\d.]+ ms/);
    expect(Buffer.from(second.LogResult ?? '', 'base64').toString()).not.toMatch(/Init Duration/);
  });

  it('answers a timed-out invocation as Lambda does: 200, Unhandled, Sandbox.Timedout', async () => {
    const code = 'import time\ndef handler(event, context):\n    time.sleep(10)\n';
    await createActive(aws, definition(aws, 'sleeper', code, { Timeout: 1 }));
    const started = Date.now();
    const answer = await invoke(aws, 'sleeper');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(JSON.parse(answer.text)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${answer.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
  });

  it("answers an exception as Lambda's Python runtime formats it, and tails the log", async () => {
    const code = 'def handler(event, context):\n    print("about to fail")\n    raise ValueError("boom")\n';
    await createActive(aws, definition(aws, 'thrower', code));
    const answer = await invoke(aws, 'thrower', {}, { LogType: 'Tail' });
    expect(answer).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(JSON.parse(answer.text)).toEqual({
      errorMessage: 'boom',
      errorType: 'ValueError',
      requestId: answer.$metadata.requestId,
      stackTrace: ['  File "/var/task/index.py", line 3, in handler\n    raise ValueError("boom")\n'],
    });
    const log = Buffer.from(answer.LogResult ?? '', 'base64').toString();
    const id = answer.$metadata.requestId;
    expect(log).toMatch(
      new RegExp(`^START RequestId: ${id} Version: \\$LATEST\\nabout to fail\\n\\[ERROR\\] ValueError: boom\\n`),
    );
    expect(log).toMatch(
      new RegExp(
        `END RequestId: ${id}\\nREPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 512 MB\\tMax Memory Used: \\d+ MB`,
      ),
    );
  });

  it("is evaluated against the caller's IAM policies: the action role may not invoke", async () => {
    await createActive(aws, definition(aws, 'guarded', 'def handler(e, c):\n    return 1\n'));
    const before = (await aws.log()).length;
    await expect(invoke(aws, 'guarded', {}, { key: aws.info.actionAccessKeyId })).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringMatching(
        /is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:[^:]+:123456789012:function:guarded/,
      ),
    });
    const entry = (await aws.log(before)).find((e) => e.service === 'lambda' && e.operation === 'Invoke');
    expect(entry).toMatchObject({
      status: 403,
      answeredBy: 'testbed',
      check: 'checked',
      params: { FunctionName: 'guarded' },
    });
    expect(entry?.iam?.checks).toEqual([
      {
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${aws.info.region}:123456789012:function:guarded`,
        allowed: false,
      },
    ]);
    // A name the model's pattern refuses is refused before IAM is asked, as Lambda words it.
    await expect(invoke(aws, 'not a name')).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(/Value 'not a name' at 'functionName' failed to satisfy constraint/),
    });
    // An administrator's grant lets it through.
    const role = aws.info.roleArn.split('/').pop();
    await aws.control('PUT', `/roles/${role}/policies/invoke-guarded`, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: entry?.iam?.checks[0]?.resource }],
    });
    expect((await invoke(aws, 'guarded', {}, { key: aws.info.actionAccessKeyId })).text).toBe('1');
  });
});
