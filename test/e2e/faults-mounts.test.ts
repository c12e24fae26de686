// Mounts that every file system accepts, as EFS documents them and the test bed reproduces them
// (testbed/efs-access.ts): a policy that denies access without encryption in transit, a policy under which
// root is squashed, and a VPC whose DNS hostnames are off. And places: one target through an access point and
// without it are two directories, each with its own state (src/plan/place.ts).
import fs from 'node:fs';
import path from 'node:path';
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { type EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CopyObjectCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ACTIONS } from '../../testbed/agent-role.ts';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { allowedBy } from '../../testbed/iam-eval.ts';
import { ACCOUNT, type PolicyDocument } from '../../testbed/stacks.ts';
import { TEMPLATE_PATH } from '../infra/schema.ts';
import { clients, motoClients } from '../support/local-aws.ts';
import { actionYml, ROOT } from '../support/repo.ts';
import { expectClean, outcome, printTable, record, rows, type Served, served } from './fault-harness.ts';
import { makeWorkspace, runAction } from './support.ts';

let aws: LocalAws;
let workspace: string;
let efs: EFSClient;
let edits = 0;
const INPUTS = { 'local-dir': 'models', 'timeout-minutes': '5' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '300']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
  efs = clients(aws).efs;
}, 60_000);
afterAll(async () => {
  printTable();
  await aws?.stop();
});

/** A change to publish, so that every run has work to do. */
function edit(): string {
  const content = `edit ${++edits}\n`;
  fs.writeFileSync(path.join(workspace, 'models/a.txt'), content);
  return content;
}

async function putPolicy(...Statement: object[]): Promise<void> {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement });
  await efs.send(new PutFileSystemPolicyCommand({ FileSystemId: aws.info.fileSystemId, Policy }));
}

const servedFile = () =>
  fs.readFileSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'models', 'a.txt'), 'utf8');

/** The published states in the staging bucket, straight from moto (the action's default staging-prefix). */
async function stateKeys(): Promise<string[]> {
  const { s3 } = motoClients(aws);
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: aws.info.stagingBucket, Prefix: 'efsync/state/' }));
    return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
  } finally {
    s3.destroy();
  }
}

/** Moves a state object to another key, as an older version would have left it (CopySource is URL-encoded). */
async function moveState(from: string, to: string): Promise<void> {
  const { s3 } = motoClients(aws);
  const Bucket = aws.info.stagingBucket;
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: to,
        CopySource: `${Bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket, Key: from }));
  } finally {
    s3.destroy();
  }
}

describe('places', () => {
  const fsId = () => aws.info.fileSystemId;
  const servedAt = (dir: string) =>
    fs.readFileSync(path.join(aws.info.stateDir, 'efs', fsId(), dir, 'models', 'a.txt'), 'utf8');
  const viaAccessPoint = () => ({ ...INPUTS, 'access-point-id': aws.info.accessPointId });

  it('publishes a target through an access point, then the same configuration without it at the root', async () => {
    // Dev and prod on one file system: the seeded access point's root directory is /lambda (testbed/seed.ts),
    // which the test bed keeps as <state-dir>/efs/<fs-id>/lambda.
    const content = edit();
    const first = await runAction(aws, workspace, viaAccessPoint());
    expect(outcome(first)).toBe('published');
    expect(first.outputs['efs-local-path']).toBe('/lambda/models');
    const step = await runAction(aws, workspace, INPUTS);
    const observed = record(
      'place',
      'published through an access point (root /lambda), then without it',
      'published',
      step,
    );
    expect(observed).toBe('published');
    expect(step.outputs).toMatchObject({ 'local-path': '/mnt/efs/models', 'efs-local-path': '/models' });
    // Both places serve what was published there.
    expect(servedAt('lambda')).toBe(content);
    expect(servedAt('.')).toBe(content);
    expect(await stateKeys()).toEqual([
      `efsync/state/${fsId()}/.efsync-root=%2F/models.json`,
      `efsync/state/${fsId()}/.efsync-root=%2Flambda/models.json`,
    ]);
    // Each place keeps its own state: nothing changed at either.
    const again = await runAction(aws, workspace, viaAccessPoint());
    expect(outcome(again)).toBe('no change');
    expect(again.outputs['efs-local-path']).toBe('/lambda/models');
    await expectClean(aws, [first, first.post, step, step.post, again, again.post], 'models');
  }, 180_000);

  it('carries a state at the old key over only to the place that serves its release', async () => {
    // An older version kept one state per file system and target (efsync/state/<fs-id>/models.json). Here it is the
    // root's state; the access point's place has no state of its own.
    const root = served(aws, 'models');
    const underLambda = served(aws, 'lambda/models');
    const legacy = `efsync/state/${fsId()}/models.json`;
    await moveState(`efsync/state/${fsId()}/.efsync-root=%2F/models.json`, legacy);
    await moveState(`efsync/state/${fsId()}/.efsync-root=%2Flambda/models.json`, 'efsync/elsewhere.json');
    // Through the access point, /lambda/models serves another release: the legacy state is not its own.
    const step = await runAction(aws, workspace, viaAccessPoint());
    const observed = record(
      'place',
      'a state at the old key, not written through this access point',
      'published',
      step,
    );
    expect(observed).toBe('published');
    expect(step.stdout).toContain(`the state at s3://${aws.info.stagingBucket}/${legacy} was not written through`);
    expect(step.stdout).not.toContain('state carried over');
    expect(served(aws, 'lambda/models').files).toEqual(underLambda.files);
    // At the root, whose release it names, it is carried over: its release is the base, and it is kept apart.
    const atRoot = await runAction(aws, workspace, INPUTS);
    expect(record('place', 'a state at the old key, written at the root', 'published', atRoot)).toBe('published');
    expect(atRoot.stdout).toContain(
      `models: state carried over from s3://${aws.info.stagingBucket}/${legacy} to s3://${aws.info.stagingBucket}/efsync/state/${fsId()}/.efsync-root=%2F/models.json.`,
    );
    expect(atRoot.stdout).not.toContain('base mismatch');
    expect(served(aws, 'models').files).toEqual(root.files);
    // Once carried, each place plans against its own state.
    const again = await runAction(aws, workspace, INPUTS);
    expect(outcome(again)).toBe('no change');
    await expectClean(aws, [step, step.post, atRoot, atRoot.post, again, again.post], 'models');
  }, 180_000);
});

/** The EFS client actions a text names: `elasticfilesystem:ClientMount`, or `ClientWrite` after it. */
function namedEfsActions(text: string): string[] {
  const named = [...text.matchAll(/\b(?:elasticfilesystem:)?(Client(?:Mount|Write|RootAccess))\b/g)].map(
    (m) => `elasticfilesystem:${m[1]}`,
  );
  return [...new Set(named)].sort();
}

const EFS_CLIENT = [
  'elasticfilesystem:ClientMount',
  'elasticfilesystem:ClientRootAccess',
  'elasticfilesystem:ClientWrite',
];

describe('instance role', () => {
  it('the docs name what the deployed instance role grants, and SSM permissions alone do not mount', async () => {
    // The three places that tell a user what a role of their own needs (action.yml's `instance-profile`, the
    // template's InstanceProfile output, the troubleshooting row for "not Online"), read against the instance role
    // the template deployed in the test bed.
    const described = actionYml().inputs['instance-profile']?.description ?? '';
    const template = fs.readFileSync(TEMPLATE_PATH, 'utf8');
    const output = /\n {2}InstanceProfile:\n {4}Description: >-\n((?: {6}.*\n)+)/.exec(template)?.[1] ?? '';
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `Instance … is not Online in SSM')) ?? '';
    const stack = Object.values(aws.info.stacks).find((st) => st.instanceProfile === aws.info.instanceProfile);
    const roleArn = stack?.instanceRoleArn ?? '';
    const role = roleArn.split('/').pop() ?? '';
    const iam = motoClients(aws).iam;
    const policies = await Promise.all(
      ((await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).map(async (name) => {
        const got = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
        return { name, document: JSON.parse(decodeURIComponent(got.PolicyDocument ?? '{}')) as PolicyDocument };
      }),
    );
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? [];
    iam.destroy();
    const fileSystemArn = `arn:aws:elasticfilesystem:${aws.info.region}:${ACCOUNT}:file-system/${aws.info.fileSystemId}`;
    const grants = async (action: string, resource: string) =>
      allowedBy(policies, roleArn, { action, resource, context: {} });
    const granted = [];
    for (const action of [...EFS_CLIENT, ...AGENT_ACTIONS])
      if (await grants(action, action.startsWith('elasticfilesystem:') ? fileSystemArn : '*')) granted.push(action);
    const s3 = await grants('s3:GetObject', `arn:aws:s3:::${aws.info.stagingBucket}/efsync/runs/x`);
    const docs = [described, output, row].map((text) =>
      [namedEfsActions(text).join(' '), /AmazonSSMManagedInstanceCore`? alone is not enough/.test(text)].join(' | '),
    );
    const observed = [
      `docs name: ${docs.join('; ')}`,
      `the role grants: ${granted.length === EFS_CLIENT.length + AGENT_ACTIONS.length ? 'all of them' : granted.join(' ')}`,
      `S3: ${s3 ? 'yes' : 'no'}, managed policies: ${attached.length}`,
    ].join('; ');
    const named = `${EFS_CLIENT.join(' ')} | true`;
    const expected = `docs name: ${named}; ${named}; ${named}; the role grants: all of them; S3: no, managed policies: 0`;
    rows.push({ group: 'instance role', name: 'docs against the deployed role', expected, observed });
    expect(observed).toBe(expected);

    // The claim itself: without the role's EFS client policy (what AmazonSSMManagedInstanceCore would leave it), a
    // file system whose policy grants clients nothing of its own refuses the mount.
    const efsClient = policies.find((p) => p.name === 'efs-client');
    expect(efsClient).toBeDefined();
    await putPolicy({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // A release to keep: published with the template's role.
    edit();
    const first = await runAction(aws, workspace, INPUTS);
    expect(outcome(first)).toBe('published');
    const before: Served = served(aws, 'models');
    await aws.control('DELETE', `/roles/${role}/policies/efs-client`);
    try {
      edit();
      const step = await runAction(aws, workspace, INPUTS);
      const failed = record('instance role', 'SSM permissions only', 'failed: cannot mount … ClientMount', step);
      expect(failed).toMatch(/^failed \(exit 1, 1 error\): .*cannot mount/);
      expect(step.stdout).toContain('(elasticfilesystem:ClientMount)');
      await expectClean(aws, [step, step.post], 'models', before);
    } finally {
      await aws.control('PUT', `/roles/${role}/policies/efs-client`, efsClient?.document);
    }
    const content = edit();
    const again = await runAction(aws, workspace, INPUTS);
    expect(record('instance role', "the template's role again", 'published', again)).toBe('published');
    expect(servedFile()).toBe(content);
    await expectClean(aws, [again, again.post], 'models');
  }, 180_000);
});

describe('mounts', () => {
  it('publishes to a file system whose policy denies access without encryption in transit, mounting with TLS', async () => {
    // The EFS console's "Enforce in-transit encryption for all clients" (EFS User Guide, iam-access-control-nfs-efs):
    // a Deny on aws:SecureTransport false, which refuses a plain NFS mount.
    await putPolicy(
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      },
    );
    const content = edit();
    const step = await runAction(aws, workspace, INPUTS);
    expect(record('mount', 'policy denies access without TLS', 'published', step)).toBe('published');
    expect(step.stdout).toContain('with the EFS mount helper (tls,iam)');
    expect(step.stdout).toContain('its policy denies access without encryption in transit');
    expect(servedFile()).toBe(content);
    await expectClean(aws, [step, step.post], 'models');
  }, 120_000);

  it('mounts by the mount target IP when DNS hostnames are off in the VPC', async () => {
    // "Mounting by IP address works in environments where DNS is disabled, such as VPCs with DNS hostnames
    // disabled" (EFS User Guide, mounting-fs-mount-cmd-ip-addr).
    const { ec2 } = clients(aws);
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: false } }));
    try {
      const content = edit();
      const step = await runAction(aws, workspace, INPUTS);
      expect(record('mount', 'DNS hostnames off in the VPC', 'published', step)).toBe('published');
      expect(step.stdout).toMatch(/does not resolve .*mounting by the mount target's IP address 10\.20\.1\.\d+/);
      expect(step.stdout).toMatch(/mounttargetip=10\.20\.1\.\d+/);
      expect(servedFile()).toBe(content);
      await expectClean(aws, [step, step.post], 'models');
    } finally {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: aws.info.vpcId, EnableDnsHostnames: { Value: true } }));
    }
  }, 120_000);

  it('a policy that denies root access fails at the lock with the fix, and changes nothing', async () => {
    // Without elasticfilesystem:ClientRootAccess EFS squashes root (EFS User Guide, iam-access-control-nfs-efs).
    await putPolicy(
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientRootAccess' },
    );
    const before: Served = served(aws, 'models');
    edit();
    const step = await runAction(aws, workspace, INPUTS);
    const observed = record('mount', 'policy squashes root', 'failed: refuses writes by root', step);
    expect(observed).toContain('the file system refuses writes by root');
    expect(step.stdout).toMatch(
      /::error::.*without ClientRootAccess it squashes root\. Grant both to the instance role/,
    );
    await expectClean(aws, [step, step.post], 'models', before);
  }, 120_000);
});
