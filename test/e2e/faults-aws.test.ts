// AWS faults: each operation the action calls fails once. Retryable errors are absorbed by the SDK's retries; terminal
// ones fail the run in one place, naming the permission or the cause, and leave nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import { CreateVpcEndpointCommand, DeleteVpcEndpointsCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalAws } from '../../testbed/client.ts';
import { motoClients } from '../support/local-aws.ts';
import { expectClean, printTable, record, type Served, served } from './fault-harness.ts';
import { type Lanes, startLanes } from './lanes.ts';
import { makeWorkspace, runAction, saveRequestLog } from './support.ts';

/** A test bed with a workspace published once: what a failed run must leave served. */
interface Lane {
  aws: LocalAws;
  workspace: string;
  baseline: Served;
}

let lanes: Lanes<Lane>;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  // Convenience, turned on here: SSM has an instance Online as soon as it runs (AWS takes a minute or two). These
  // cases are about the calls around it; waiting for Online is exercised in sync.test.ts and faults-instance.
  lanes = await startLanes(3, ['--online-delay-ms', '0'], async (aws) => {
    const workspace = makeWorkspace({ 'models/a.txt': 'first\n', 'models/b/c.bin': 'c'.repeat(3000) });
    const first = await runAction(aws, workspace, INPUTS);
    expect(first.status).toBe(0);
    return { aws, workspace, baseline: served(aws, 'models') };
  });
}, 120_000);
afterAll(async () => {
  printTable();
  for (const [i, lane] of (lanes?.all ?? []).entries()) await saveRequestLog(lane.aws, `faults-aws-${i + 1}`);
  await lanes?.stop();
});

/** A change to publish, so that every run has work to do. */
function edit(lane: Lane): void {
  fs.writeFileSync(path.join(lane.workspace, 'models/a.txt'), `edit ${++edits}\n`);
}

async function runWithFault(lane: Lane, fault: Parameters<LocalAws['fault']>[0], inputs: Record<string, string> = {}) {
  await lane.aws.reset();
  await lane.aws.fault(fault);
  edit(lane);
  return await runAction(lane.aws, lane.workspace, { ...INPUTS, ...inputs }, { debug: true });
}

const RETRYABLE: [string, string, { code?: string; status?: number; reset?: boolean }][] = [
  ['sts', 'GetCallerIdentity', { code: 'Throttling' }],
  ['elasticfilesystem', 'DescribeFileSystems', { code: 'ThrottlingException' }],
  ['elasticfilesystem', 'DescribeMountTargets', { status: 500 }],
  ['elasticfilesystem', 'DescribeMountTargetSecurityGroups', { status: 503 }],
  ['elasticfilesystem', 'DescribeFileSystemPolicy', { code: 'ThrottlingException' }],
  ['ec2', 'DescribeSubnets', { reset: true }],
  ['ec2', 'DescribeRouteTables', { code: 'RequestLimitExceeded' }],
  ['ec2', 'DescribeVpcEndpoints', { status: 503 }],
  ['ec2', 'DescribeSecurityGroups', { code: 'RequestLimitExceeded' }],
  ['ec2', 'DescribeInstanceTypes', { status: 500 }],
  ['ec2', 'DescribeInstanceTypeOfferings', { code: 'RequestLimitExceeded' }],
  ['iam', 'GetInstanceProfile', { code: 'Throttling' }],
  ['s3', 'HeadBucket', { status: 503 }],
  ['s3', 'GetObject', { reset: true }],
  ['s3', 'PutObject', { code: 'SlowDown' }],
  ['ssm', 'GetParameter', { code: 'ThrottlingException' }],
  ['ec2', 'DescribeImages', { status: 503 }],
  ['ec2', 'RunInstances', { code: 'RequestLimitExceeded' }],
  ['ec2', 'DescribeInstances', { status: 503 }],
  ['ssm', 'DescribeInstanceInformation', { code: 'ThrottlingException' }],
  ['ssm', 'SendCommand', { code: 'ThrottlingException' }],
  ['ssm', 'GetCommandInvocation', { reset: true }],
  ['ec2', 'TerminateInstances', { status: 500 }],
  ['s3', 'ListObjectsV2', { code: 'SlowDown' }],
  ['s3', 'DeleteObjects', { status: 503 }],
];

// Each case has a test bed to itself while it runs (lanes.ts), so the cases run side by side.
describe('retryable AWS errors, once per operation', { timeout: 120_000, concurrent: true }, () => {
  it.each(RETRYABLE)('%s %s fails once (%j): the run succeeds', (service, operation, fault) =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      const step = await runWithFault(lane, { service, operation, ...fault });
      const kind = fault.code ?? (fault.reset ? 'connection reset' : `HTTP ${fault.status}`);
      expect(record('1', `${operation} ${kind}`, 'published', step)).toBe('published');
      // The fault really happened: the operation was called, failed, and was called again.
      const calls = (await aws.log()).filter((e) => e.operation === operation);
      expect(calls[0]?.answeredBy).toBe('fault');
      expect(calls[1]?.answeredBy).toBe(service === 'ssm' && operation !== 'GetParameter' ? 'testbed' : 'moto');
      await expectClean(aws, [step, step.post], 'models');
      lane.baseline = served(aws, 'models');
    }),
  );
});

describe('terminal AWS errors', { timeout: 120_000, concurrent: true }, () => {
  const TERMINAL: [string, Parameters<LocalAws['fault']>[0], string][] = [
    [
      'RunInstances UnauthorizedOperation',
      {
        service: 'ec2',
        operation: 'RunInstances',
        code: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
      },
      'ec2:RunInstances was denied',
    ],
    // Without a message, the test bed words each refusal as its service does (testbed/refusals.ts).
    [
      'DescribeFileSystems AccessDenied (in preflight: denied, not missing)',
      { service: 'elasticfilesystem', operation: 'DescribeFileSystems', code: 'AccessDeniedException' },
      'Preflight check failed: elasticfilesystem:DescribeFileSystems was denied (AccessDeniedException): arn:aws:sts::123456789012:user/moto is not authorized to perform elasticfilesystem:DescribeFileSystems',
    ],
    [
      'SendCommand AccessDenied',
      { service: 'ssm', operation: 'SendCommand', code: 'AccessDeniedException' },
      'ssm:SendCommand was denied',
    ],
    [
      'PutObject AccessDenied',
      { service: 's3', operation: 'PutObject', code: 'AccessDenied', message: 'Access Denied', times: 99 },
      's3:PutObject was denied',
    ],
    [
      'RunInstances refused for iam:PassRole, with an encoded message',
      {
        service: 'ec2',
        operation: 'RunInstances',
        code: 'UnauthorizedOperation',
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/efsync-instance',
      },
      'is not authorized to perform iam:PassRole on arn:aws:iam::123456789012:role/efsync-instance, because no ' +
        'identity-based policy allows it. Allow iam:PassRole on arn:aws:iam::123456789012:role/efsync-instance in ' +
        'the policy of arn:aws:sts::123456789012:user/moto',
    ],
    [
      'RunInstances InvalidParameterValue',
      {
        service: 'ec2',
        operation: 'RunInstances',
        code: 'InvalidParameterValue',
        message: 'Value (xyz) for parameter iamInstanceProfile.name is invalid.',
      },
      'ec2:RunInstances failed (InvalidParameterValue)',
    ],
    [
      'RunInstances InsufficientInstanceCapacity',
      {
        service: 'ec2',
        operation: 'RunInstances',
        code: 'InsufficientInstanceCapacity',
        times: 99,
        message: 'We currently do not have sufficient t3.small capacity.',
      },
      'InsufficientInstanceCapacity',
    ],
  ];

  it.each(TERMINAL)('%s: the run fails cleanly, and says why', (name, fault, message) =>
    lanes.use(async (lane) => {
      const step = await runWithFault(lane, fault);
      const observed = record('1', name, `failed: ${message}`, step);
      expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
      // The table's cell is shortened; the error line itself holds the whole message.
      const errorLine = step.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
      expect(errorLine).toContain(message);
      if (name.includes('iam:PassRole')) {
        const error = step.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
        expect(error).not.toContain('Allow ec2:RunInstances');
        const blob = /--encoded-message ([\w-]+) --query DecodedMessage --output text/.exec(error)?.[1] ?? '';
        expect(blob.length).toBeGreaterThan(1000);
        expect(error.split(blob)).toHaveLength(2); // given once, in the decode command
        expect(error).toContain('(this needs sts:DecodeAuthorizationMessage)');
      }
      await expectClean(lane.aws, [step, step.post], 'models', lane.baseline);
    }),
  );

  it('a capacity error moves on to the next instance type of the list', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      const step = await runWithFault(
        lane,
        { service: 'ec2', operation: 'RunInstances', code: 'InsufficientInstanceCapacity', times: 5 },
        { 'instance-type': 't3.small,t3.medium' },
      );
      expect(record('1', 'capacity, then the next instance type', 'published', step)).toBe('published');
      const launched = (await aws.log())
        .filter((e) => e.operation === 'RunInstances')
        .map((e) => e.params.InstanceType);
      expect(launched).toEqual(['t3.small', 't3.small', 't3.small', 't3.small', 't3.small', 't3.medium']);
      expect(step.stdout).toContain('No capacity for t3.small');
      await expectClean(aws, [step, step.post], 'models');
      lane.baseline = served(aws, 'models');
    }));
});

// A subnet with SSM but no route to S3 (no S3 gateway endpoint, no NAT): on AWS the instance launches and its first
// download from S3 times out. The test bed routes as the VPC does (testbed/routes.ts: the subnet's explicit
// route table, else the VPC's main one, "Subnet route tables", https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html;
// a gateway endpoint's route to S3's prefix list, https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html),
// and its seeded subnets reach S3 through a gateway endpoint on the main route table. The case deletes that endpoint
// in moto directly, as an administrator would: the request log stays the action's own.
describe('no route to S3', { timeout: 120_000 }, () => {
  it('fails in preflight, launches no instance, and gives the fix, which then works', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      const { vpcId, routeTableId, region, subnetIds } = aws.info;
      const { ec2 } = motoClients(aws);
      const endpoints = await ec2.send(
        new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
      );
      // The S3 endpoints only: the SSM endpoints stay, so that the case is about S3 alone.
      const live = (endpoints.VpcEndpoints ?? []).filter(
        (e) => e.State?.toLowerCase() === 'available' && e.ServiceName === `com.amazonaws.${region}.s3`,
      );
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: live.map((e) => e.VpcEndpointId ?? '') }));
      let fix: RegExpExecArray | null = null;
      try {
        await aws.reset();
        edit(lane);
        const step = await runAction(aws, lane.workspace, INPUTS, { debug: true });
        const observed = record('1', 'no route to S3', 'failed in preflight: no route to S3, with the fix', step);
        expect(observed).toMatch(/^failed \(exit 1, 1 error\)/);
        expect(observed).toContain(`Subnet ${subnetIds[0]} has no route to S3.`);
        const message = step.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
        const command =
          `aws ec2 create-vpc-endpoint --vpc-id ${vpcId} --vpc-endpoint-type Gateway ` +
          `--service-name com.amazonaws.${region}.s3 --route-table-ids ${routeTableId}`;
        expect(message).toContain(command);
        // Nothing was launched: the request log has the route checks and no RunInstances.
        const operations = (await aws.log()).map((e) => e.operation);
        expect(operations).toContain('DescribeRouteTables');
        expect(operations).toContain('DescribeVpcEndpoints');
        expect(operations).not.toContain('RunInstances');
        await expectClean(aws, [step, step.post], 'models', lane.baseline);
        fix = /--vpc-id (\S+) --vpc-endpoint-type (\S+) --service-name (\S+) --route-table-ids (\S+)/.exec(message);
      } finally {
        // The fix as the message gives it (or, had the case failed before it, the seeded endpoint again).
        await ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: fix?.[1] ?? vpcId,
            VpcEndpointType: (fix?.[2] ?? 'Gateway') as 'Gateway',
            ServiceName: fix?.[3] ?? `com.amazonaws.${region}.s3`,
            RouteTableIds: [fix?.[4] ?? routeTableId],
          }),
        );
      }
      expect(fix).not.toBeNull();
      await aws.reset();
      edit(lane);
      const again = await runAction(aws, lane.workspace, INPUTS, { debug: true });
      expect(record('1', 'no route to S3, then the fix it gives', 'published', again)).toBe('published');
      expect(again.stdout).toContain(`S3 is reached from ${subnetIds[0]} through the S3 gateway endpoint`);
      await expectClean(aws, [again, again.post], 'models');
      lane.baseline = served(aws, 'models');
    }));
});

describe('credentials that expire mid-run', { timeout: 300_000, concurrent: true }, () => {
  it('a run longer than its first role session renews the session, publishes, and cleans up after it ended', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      // A deliberate scaling of time (faults.ts sessionSeconds): role sessions of 60 s, where AWS's shortest is
      // 900 s. Preflight's first EFS call answers after the first session has ended, so everything after it,
      // staging, polling, termination and cleanup, needs a renewed one.
      await aws.reset();
      await aws.settings({ sessionSeconds: 60 });
      try {
        await aws.fault({ service: 'elasticfilesystem', operation: 'DescribeFileSystems', latencyMs: 65_000 });
        edit(lane);
        const step = await runAction(aws, lane.workspace, INPUTS, { oidc: true, debug: true });
        expect(record('1', 'role session ends mid-run', 'published', step)).toBe('published');
        expect(step.stdout).toContain('Renewed the AWS credentials of');
        const log = await aws.log();
        expect(log.filter((e) => e.operation === 'AssumeRoleWithWebIdentity').length).toBeGreaterThanOrEqual(3);
        // No call was refused for an ended session: each was signed with a live one.
        expect(log.filter((e) => e.answeredBy === 'testbed' && e.status >= 400)).toEqual([]);
        await expectClean(aws, [step, step.post], 'models');
        lane.baseline = served(aws, 'models');
      } finally {
        await aws.settings({ sessionSeconds: 0 });
      }
    }));

  it('environment keys that expire before timeout-minutes are refused before anything starts', () =>
    lanes.use(async (lane) => {
      const { aws } = lane;
      await aws.reset();
      edit(lane);
      const expiration = new Date(Date.now() + 30 * 60 * 1000).toISOString();
      const step = await runAction(
        aws,
        lane.workspace,
        { ...INPUTS, 'timeout-minutes': '60' },
        { env: { AWS_SESSION_TOKEN: 'testing', AWS_CREDENTIAL_EXPIRATION: expiration } },
      );
      const expected =
        'failed: The AWS credentials in the environment expire at …, before timeout-minutes (60) can end';
      expect(record('1', 'environment keys expire before timeout-minutes', expected, step)).toMatch(
        /^failed \(exit 1, 1 error\): The AWS credentials in the environment expire at /,
      );
      expect(step.status).not.toBe(0);
      expect(step.stdout).toContain('The AWS credentials in the environment expire at');
      expect(step.stdout).toContain('role-duration-seconds of at least 3900');
      const log = await aws.log();
      expect(log.some((e) => e.service === 'ec2' && e.operation === 'RunInstances')).toBe(false);
      await expectClean(aws, [step, step.post], 'models', lane.baseline);
    }));
});
