// A Lambda function in infra/efsync.yaml as the bed would deploy it: the template rendered with a function and its
// execution role (as a future writer engine would add them), the function's definition as CloudFormation renders it,
// and the bed's definition of it. No bed is started.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings hold CloudFormation's ${} references
import { describe, expect, it } from 'vitest';
import { defineFunction } from './lambda-functions.ts';
import { readTemplate, renderStack } from './stacks.ts';

const PARAMETERS = {
  GitHubOwner: 'efsync-test',
  GitHubRepository: 'efsync-action',
  FileSystemId: 'fs-0123456789abcdef0',
  VpcId: 'vpc-0123456789abcdef0',
  MountTargetSecurityGroupId: 'sg-0123456789abcdef0',
};

function withFunction() {
  const template = readTemplate();
  template.Resources.WriterRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        {
          PolicyName: 'mount',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'elasticfilesystem:ClientMount', Resource: '*' }],
          },
        },
      ],
    },
  } as never;
  template.Resources.Writer = {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'python3.11',
      Handler: 'index.handler',
      Role: { 'Fn::GetAtt': ['WriterRole', 'Arn'] },
      Code: { ZipFile: 'def handler(event, context):\n    return event\n' },
      MemorySize: 512,
      VpcConfig: { SubnetIds: ['subnet-0aaa'], SecurityGroupIds: [{ Ref: 'InstanceSecurityGroup' }] },
      FileSystemConfigs: [
        {
          Arn: {
            'Fn::Sub':
              'arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:access-point/fsap-0123456789abcdef0',
          },
          LocalMountPath: '/mnt/efs',
        },
      ],
    },
  } as never;
  return template;
}

describe('a function in the template', () => {
  it('is rendered with a generated name, its role and its VPC, and defined as Lambda would create it', () => {
    const stack = renderStack('efsync', 'us-east-1', PARAMETERS, { securityGroupId: 'sg-0bbb' }, withFunction());
    expect(stack.functionRoles).toEqual([
      expect.objectContaining({ name: expect.stringMatching(/^efsync-WriterRole-[0-9A-F]{12}$/) }),
    ]);
    expect(stack.functions).toHaveLength(1);
    const [writer] = stack.functions;
    const definition = defineFunction(writer?.properties ?? {}, 'us-east-1', {
      stackName: 'efsync',
      logicalId: writer?.logicalId ?? '',
    });
    expect(definition).toMatchObject({
      name: expect.stringMatching(/^efsync-Writer-[0-9A-F]{12}$/),
      role: stack.functionRoles[0]?.arn,
      runtime: 'python3.11',
      handler: 'index.handler',
      memoryMiB: 512,
      timeoutSeconds: 3,
      ephemeralMiB: 512,
      architectures: ['x86_64'],
      vpc: { subnetIds: ['subnet-0aaa'], securityGroupIds: ['sg-0bbb'] },
      fileSystems: [
        {
          arn: 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0',
          localMountPath: '/mnt/efs',
        },
      ],
    });
    expect(definition.arn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${definition.name}`);
  });
});
