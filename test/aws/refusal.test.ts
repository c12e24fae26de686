// AWS's refusals as each service words them (sources in src/aws/refusal.ts, and the messages quoted in public issues
// named below), read into the action refused, the principal, the resource, the policy and EC2's encoded message.
import { describe, expect, it } from 'vitest';
import { principalName, readRefusal, withoutEncoded } from '../../src/aws/refusal.js';

describe('readRefusal', () => {
  it('reads EC2 refusing RunInstances for iam:PassRole, with an encoded message', () => {
    const message =
      'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/efsync-action/gha ' +
      'is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/efsync-InstanceRole-1 ' +
      'because no identity-based policy allows the iam:PassRole action. Encoded authorization failure message: Ab-9_z';
    expect(readRefusal(message)).toEqual({
      action: 'iam:PassRole',
      principal: 'arn:aws:sts::123456789012:assumed-role/efsync-action/gha',
      resource: 'arn:aws:iam::123456789012:role/efsync-InstanceRole-1',
      policy: { explicit: false, type: 'identity-based policy' },
      encoded: 'Ab-9_z',
    });
  });

  it('reads an explicit deny in a service control policy (aws/karpenter-provider-aws#7370)', () => {
    const message =
      'You are not authorized to perform this operation. User: arn:aws:sts::123456789:assumed-role/karpenter/1731 is ' +
      'not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-2:123456789:instance/* with an ' +
      'explicit deny in a service control policy. Encoded authorization failure message: g4oZPBq';
    expect(readRefusal(message)).toEqual({
      action: 'ec2:RunInstances',
      principal: 'arn:aws:sts::123456789:assumed-role/karpenter/1731',
      resource: 'arn:aws:ec2:us-east-2:123456789:instance/*',
      policy: { explicit: true, type: 'service control policy' },
      encoded: 'g4oZPBq',
    });
  });

  it('reads the older EC2 wording: an encoded message alone', () => {
    expect(
      readRefusal('You are not authorized to perform this operation. Encoded authorization failure message: ixPqZ'),
    ).toEqual({ encoded: 'ixPqZ' });
  });

  it("reads S3's quoted resource (aws-ia/terraform-aws-bedrock#41)", () => {
    const message =
      'User: arn:aws:sts::1:assumed-role/Role/Task is not authorized to perform: s3:GetObject on resource: ' +
      '"arn:aws:s3:::test-s3-docs/Annual Report.pdf" because no identity-based policy allows the s3:GetObject action';
    expect(readRefusal(message)).toMatchObject({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::test-s3-docs/Annual Report.pdf',
      policy: { explicit: false, type: 'identity-based policy' },
    });
  });

  it('reads EFS\'s "on the specified resource" (rebuy-de/aws-nuke#264)', () => {
    const message =
      'User: arn:aws:iam::123456789012:user/admin is not authorized to perform: elasticfilesystem:DescribeFileSystems on the specified resource';
    expect(readRefusal(message)).toEqual({
      action: 'elasticfilesystem:DescribeFileSystems',
      principal: 'arn:aws:iam::123456789012:user/admin',
    });
  });

  it('reads an explicit deny that names its policy (IAM User Guide)', () => {
    const message =
      'User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile on ' +
      'resource: arn:aws:iam::123456789012:instance-profile/p with an explicit deny in an identity-based policy: ' +
      'arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to https://console.aws.amazon.com/iam/home';
    expect(readRefusal(message).policy).toEqual({ explicit: true, type: 'identity-based policy' });
    expect(readRefusal(message).resource).toBe('arn:aws:iam::123456789012:instance-profile/p');
  });

  it('finds nothing in a bare refusal', () => {
    expect(readRefusal('Access Denied')).toEqual({});
    expect(readRefusal('You are not authorized to perform this operation.')).toEqual({});
  });
});

describe('withoutEncoded and principalName', () => {
  it('drops the blob, keeps the rest', () => {
    expect(withoutEncoded('You are not authorized. Encoded authorization failure message: abc')).toBe(
      'You are not authorized.',
    );
  });

  it('names a role session by its role, a user by its name, anything else by its ARN', () => {
    expect(principalName('arn:aws:sts::1:assumed-role/efsync-action/run')).toBe('role efsync-action');
    expect(principalName('arn:aws:iam::1:user/team/ci')).toBe('user ci');
    expect(principalName('arn:aws:sts::1:federated-user/bob')).toBe('arn:aws:sts::1:federated-user/bob');
  });
});
