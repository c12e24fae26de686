// The test bed words an injected refusal as each service does (sources in refusals.ts).
import { describe, expect, it } from 'vitest';
import type { AwsRequest } from './aws-protocol.ts';
import { refusalReply } from './refusals.ts';

const ROLE = 'arn:aws:sts::123456789012:assumed-role/efsync-action/gha';
const request = (service: string, operation: string, params: Record<string, string> = {}): AwsRequest => ({
  service,
  operation,
  protocol: service === 'ec2' ? 'ec2' : 'json',
  params,
});
const url = new URL('http://front/');

describe('refusalReply', () => {
  it('words EC2 refusing RunInstances for iam:PassRole, with an encoded message', () => {
    const reply = refusalReply(
      request('ec2', 'RunInstances'),
      { action: 'iam:PassRole', resource: 'arn:aws:iam::123456789012:role/other' },
      ROLE,
      'eu-central-1',
      url,
    );
    expect(reply.code).toBe('UnauthorizedOperation');
    expect(reply.status).toBe(403);
    expect(reply.message).toMatch(
      /^You are not authorized to perform this operation\. User: arn:aws:sts::123456789012:assumed-role\/efsync-action\/gha is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role\/other because no identity-based policy allows the iam:PassRole action\. Encoded authorization failure message: [\w-]{1200}$/,
    );
  });

  it('names no resource and no encoded message for a Describe call', () => {
    const reply = refusalReply(request('ec2', 'DescribeSubnets'), {}, ROLE, 'eu-central-1', url);
    expect(reply.message).toBe(
      `You are not authorized to perform this operation. User: ${ROLE} is not authorized to perform: ec2:DescribeSubnets because no identity-based policy allows the ec2:DescribeSubnets action.`,
    );
  });

  it('words S3 with the IAM action and the quoted object ARN', () => {
    const reply = refusalReply(
      { ...request('s3', 'CreateMultipartUpload'), protocol: 'rest-xml' },
      {},
      ROLE,
      'eu-central-1',
      new URL('http://front/staging/efsync/runs/1/part%201.tar?uploads'),
    );
    expect(reply).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: `User: ${ROLE} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::staging/efsync/runs/1/part 1.tar" because no identity-based policy allows the s3:PutObject action`,
    });
  });

  it('words EFS "on the specified resource", and SSM with the instance', () => {
    expect(refusalReply(request('elasticfilesystem', 'DescribeFileSystems'), {}, ROLE, 'eu-central-1', url)).toEqual({
      code: 'AccessDeniedException',
      status: 403,
      message: `User: ${ROLE} is not authorized to perform: elasticfilesystem:DescribeFileSystems on the specified resource`,
    });
    const ssm = refusalReply(
      request('ssm', 'SendCommand', { InstanceIds: '["i-0abc"]' }),
      {},
      ROLE,
      'eu-central-1',
      url,
    );
    expect(ssm.code).toBe('AccessDeniedException');
    // SSM's documented status (refusals.ts has the sources), not the 403 of other services.
    expect(ssm.status).toBe(400);
    expect(ssm.message).toBe(
      `User: ${ROLE} is not authorized to perform: ssm:SendCommand on resource: arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc because no identity-based policy allows the ssm:SendCommand action`,
    );
  });
});
