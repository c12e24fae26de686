// The writer function infra/efsync.yaml deploys (WriterFunction): where it runs, what it mounts and as whom, what its
// role may do, and that its code is agent/writer/index.py, evaluated as CloudFormation would deploy it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/repo.ts';
import { deployed as deployedWith, parseTemplate, TEMPLATE_PATH } from './schema.ts';

const template = parseTemplate(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
const WRITER = ['WriterAccessPoint', 'WriterLogGroup', 'WriterRole', 'WriterSecurityGroup', 'MountTargetNfsFromWriter'];

function props(name: string, given: Record<string, string> = {}): Record<string, unknown> {
  const resource = deployedWith(template, given).resources[name];
  if (!resource) throw new Error(`${name} is not deployed`);
  return resource.Properties;
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statements = (role: Record<string, unknown>) =>
  (role.Policies as { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) =>
    p.PolicyDocument.Statement.map((s) => ({ policy: p.PolicyName, ...s })),
  );

describe('the writer function', () => {
  it('is deployed by default as <stack>-writer, and not at all with WriterFunction false', () => {
    const on = deployedWith(template).resources;
    for (const name of ['Writer', ...WRITER]) expect(on[name], name).toBeDefined();
    expect(deployedWith(template).outputs.WriterFunction).toBe('efsync-writer');
    const off = deployedWith(template, { WriterFunction: 'false' });
    for (const name of ['Writer', ...WRITER]) expect(off.resources[name], name).toBeUndefined();
    expect(off.outputs.WriterFunction).toBeUndefined();
    // Without subnets CloudFormation refuses the stack, saying what to set.
    const rule = JSON.stringify(template.Rules?.WriterNeedsSubnets);
    expect(rule).toContain('WriterSubnetIds');
    expect(rule).toContain('set WriterFunction to false');
  });

  it("runs the action's runtime and architecture by default, in the given subnets, with its own group", () => {
    const writer = props('Writer');
    expect(writer).toMatchObject({
      FunctionName: 'efsync-writer',
      Runtime: 'python3.13',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      Timeout: 900,
      Role: 'arn:aws:iam::123456789012:role/efsync-WriterRole-1',
      VpcConfig: {
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa0', 'subnet-0bbbbbbbbbbbbbbb0'],
        SecurityGroupIds: ['sg-0ccccccccccccccc0'],
      },
      LoggingConfig: { LogGroup: '/aws/lambda/efsync-writer' },
    });
    expect(Number(writer.MemorySize)).toBe(2048);
    expect(Number((writer.EphemeralStorage as { Size: unknown }).Size)).toBe(10240);
    const other = props('Writer', { WriterPythonVersion: '3.11', WriterArchitecture: 'arm64' });
    expect(other).toMatchObject({ Runtime: 'python3.11', Architectures: ['arm64'] });
    // The same defaults as the action's python-version and architecture inputs.
    const action = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
    expect(action).toMatch(/python-version:[\s\S]*?default: "3\.13"/);
    expect(action).toMatch(/architecture:[\s\S]*?default: x86_64/);
  });

  it('mounts the whole file system through its own access point, as root, at the path its code is told', () => {
    expect(props('WriterAccessPoint')).toMatchObject({
      FileSystemId: 'fs-0123456789abcdef0',
      PosixUser: { Uid: '0', Gid: '0' },
      RootDirectory: { Path: '/' },
    });
    const writer = props('Writer');
    expect(writer.FileSystemConfigs).toEqual([
      {
        Arn: 'arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0cccccccccccccccc',
        LocalMountPath: '/mnt/efs',
      },
    ]);
    expect(writer.Environment).toEqual({
      Variables: { EFSYNC_MOUNT_PATH: '/mnt/efs', EFSYNC_FILE_SYSTEM_ID: 'fs-0123456789abcdef0' },
    });
    // Lambda's pattern for a mount path (FileSystemConfig.LocalMountPath, botocore's lambda model).
    expect('/mnt/efs').toMatch(/^\/mnt\/[a-zA-Z0-9-_.]+$/);
  });

  it('gives its role the VPC networking Lambda needs, its own log group, and the EFS client through its access point only', () => {
    const role = props('WriterRole');
    expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    expect(role.ManagedPolicyArns).toBeUndefined();
    const all = statements(role);
    expect(all.map((s) => s.Sid)).toEqual([
      'ManageTheFunctionsNetworkInterfaces',
      'WriteTheFunctionsLogGroup',
      'MountAndWriteThroughTheWritersAccessPoint',
    ]);
    const [network, logs, efs] = all;
    expect(network?.Action).toEqual([
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    expect(logs).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: 'arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/efsync-writer:*',
    });
    expect(efs).toMatchObject({
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite'],
      Resource: 'arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0',
      Condition: {
        StringEquals: {
          'elasticfilesystem:AccessPointArn':
            'arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0cccccccccccccccc',
        },
      },
    });
    // No S3: the function reads and writes staging through the presigned URLs of its job.
    expect(JSON.stringify(all)).not.toContain('s3:');
    expect(Number(props('WriterLogGroup').RetentionInDays)).toBe(30);
  });

  it('lets the function out on 443 and 2049 only, and in on nothing; the mount target admits 2049 from it', () => {
    const group = props('WriterSecurityGroup');
    expect(group.SecurityGroupIngress).toBeUndefined();
    const egress = group.SecurityGroupEgress as Record<string, unknown>[];
    expect(egress.map((rule) => [rule.IpProtocol, rule.FromPort, rule.ToPort])).toEqual([
      ['tcp', 443, 443],
      ['tcp', 2049, 2049],
    ]);
    expect(egress[1]?.DestinationSecurityGroupId).toBe('sg-0aaaaaaaaaaaaaaa0');
    expect(props('MountTargetNfsFromWriter')).toMatchObject({
      GroupId: 'sg-0aaaaaaaaaaaaaaa0',
      FromPort: 2049,
      ToPort: 2049,
      SourceSecurityGroupId: 'sg-0ccccccccccccccc0',
    });
    // Created after the rule, so its first mount finds NFS admitted.
    expect(template.Resources.Writer?.DependsOn).toBe('MountTargetNfsFromWriter');
  });

  it('has agent/writer/index.py as its code, inline: the action deploys no code', () => {
    const code = (props('Writer').Code as { ZipFile: string }).ZipFile;
    expect(code).toBe(fs.readFileSync(path.join(ROOT, 'agent/writer/index.py'), 'utf8'));
  });
});
