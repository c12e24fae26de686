// Two stacks of infra/efsync.yaml on one account (seed.ts): the action run as the second stack, with its own
// repository's OIDC token, role, instance profile, security group and staging bucket, publishes onto the shared file
// system, and IAM evaluates every call it makes as that stack's role (iam-eval.ts); the first stack's role is never
// used, and the second stack's role is refused the first stack's staging bucket.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runAction } from '../test/e2e/support.ts';
import { type LocalAws, startLocalAws } from './client.ts';
import { SECOND_STACK } from './seed.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
}, 120_000);
afterAll(async () => {
  await aws?.stop();
});

describe('the second stack', { timeout: 300_000 }, () => {
  it('publishes as its own role, every call evaluated as that role', async () => {
    const second = aws.info.stacks[SECOND_STACK];
    if (!second) throw new Error('no second stack');
    const workspace = makeWorkspace({ 'data/a.txt': 'from the other repository\n' });
    const inputs = {
      // The stack whose role runs (the action's stack input: its instances carry efsync:stack=<stack>).
      stack: second.stackName,
      'local-dir': 'data',
      'local-target': 'other-data',
      'timeout-minutes': '5',
      'role-to-assume': second.roleArn,
      'staging-bucket': second.stagingBucket,
      'security-group-ids': second.instanceSecurityGroupId,
      'instance-profile': second.instanceProfile,
    };
    const env = { ACTIONS_ID_TOKEN_REQUEST_TOKEN: second.oidcToken, GITHUB_REPOSITORY: second.repository };
    const step = await runAction(aws, workspace, inputs, { oidc: true, env });
    expect(step.status, step.stdout.slice(-3000)).toBe(0);
    expect(
      fs.readFileSync(path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId, 'other-data', 'a.txt'), 'utf8'),
    ).toBe('from the other repository\n');
    const log = await aws.log();
    const principals = new Set(log.flatMap((e) => (e.iam ? [e.iam.principal.replace(/\/[^/]+$/, '')] : [])));
    expect([...principals]).toEqual([`arn:aws:sts::123456789012:assumed-role/${second.roleArn.split('/').pop()}`]);
    expect(log.filter((e) => e.iam && !e.iam.allowed)).toEqual([]);
    expect(log.filter((e) => e.operation === 'RunInstances').length).toBe(1);

    // With the first stack's staging bucket, the same role is refused at once.
    await aws.reset();
    const refused = await runAction(
      aws,
      workspace,
      { ...inputs, 'staging-bucket': aws.info.stagingBucket },
      {
        oidc: true,
        env,
      },
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain(aws.info.stagingBucket);
    expect((await aws.log()).some((e) => e.iam?.allowed === false && e.service === 's3')).toBe(true);
    expect((await aws.log()).filter((e) => e.operation === 'RunInstances')).toEqual([]);
  });
});
