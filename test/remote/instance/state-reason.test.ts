import type { EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { describeStateReason, instanceStatus, stateReasonFix } from '../../../src/remote/instance/state-reason.js';

// The StateReason codes and messages as EC2 gives them (StateReason, EC2 API reference; "Instance terminates
// immediately", EC2 User Guide).
const KMS = { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' };

describe('stateReasonFix', () => {
  it('names the default EBS key, the KMS permissions the role needs, and the AWS managed key for Client.InternalError', () => {
    const fix = stateReasonFix(KMS);
    expect(fix).toContain('aws ec2 get-ebs-default-kms-key-id');
    for (const action of [
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncrypt*',
    ])
      expect(fix).toContain(action);
    expect(fix).toContain('aws/ebs');
    expect(fix).toContain('aws ec2 reset-ebs-default-kms-key-id');
  });

  it.each(['Client.InvalidKMSKey.InvalidState', 'Client.InvalidKMSKey.NotFound'])(
    'gives the KMS fix for %s',
    (code) => {
      expect(stateReasonFix({ code, message: `${code}: The KMS key provided is in an incorrect state` })).toBe(
        stateReasonFix(KMS),
      );
    },
  );

  it.each([
    ['Client.VolumeLimitExceeded', 'Client.VolumeLimitExceeded: Volume limit exceeded', /EBS quota/],
    [
      'Server.InsufficientInstanceCapacity',
      'Server.InsufficientInstanceCapacity: Insufficient capacity',
      /no capacity.*instance-type.*Availability Zone/,
    ],
    ['Server.InternalError', 'Server.InternalError: Internal error on launch', /run again/],
    ['Client.UserInitiatedShutdown', 'Client.UserInitiatedShutdown: User initiated shutdown', /CloudTrail/],
    ['Client.InstanceInitiatedShutdown', 'Client.InstanceInitiatedShutdown: Instance initiated shutdown', /timeout/],
  ])('has a fix of its own for %s', (code, message, fix) => {
    expect(stateReasonFix({ code, message })).toMatch(fix);
    expect(stateReasonFix({ code, message })).not.toBe(stateReasonFix(KMS));
  });

  it("goes by the finer code a message starts with: the User Guide's Server.InternalError for a volume limit", () => {
    const reason = { code: 'Server.InternalError', message: 'Client.VolumeLimitExceeded: Volume limit exceeded' };
    expect(stateReasonFix(reason)).toMatch(/EBS quota/);
    // A message whose code is unknown leaves the fix to Code.
    expect(stateReasonFix({ code: 'Client.InternalError', message: 'Client.Unheard: x' })).toBe(stateReasonFix(KMS));
  });

  it('gives a generic fix for an unknown code, or none', () => {
    const generic = stateReasonFix({ code: 'Client.InvalidSnapshot.NotFound', message: 'Snapshot not found' });
    expect(generic).toContain('Instance terminates immediately');
    expect(stateReasonFix({})).toBe(generic);
    expect(stateReasonFix({ message: 'no code here' })).toBe(generic);
  });
});

describe('describeStateReason', () => {
  it('gives the code and the message, or says there is none', () => {
    expect(describeStateReason(KMS)).toBe(
      'state reason Client.InternalError ("Client.InternalError: Client error on launch")',
    );
    expect(describeStateReason({ code: 'Server.InternalError' })).toBe('state reason Server.InternalError');
    expect(describeStateReason({ message: 'odd' })).toBe('state reason (no code) ("odd")');
    expect(describeStateReason({})).toBe('no state reason');
  });
});

describe('instanceStatus', () => {
  const ec2 = (send: () => Promise<unknown>) => ({ send }) as unknown as EC2Client;

  it('reads the state and the StateReason', async () => {
    const answer = {
      Reservations: [
        { Instances: [{ State: { Name: 'terminated' }, StateReason: { Code: KMS.code, Message: KMS.message } }] },
      ],
    };
    expect(
      await instanceStatus(
        ec2(async () => answer),
        'i-1',
      ),
    ).toEqual({ state: 'terminated', reason: KMS });
  });

  it('says absent when EC2 does not know the id, and passes other errors on', async () => {
    const notFound = Object.assign(new Error('nope'), { name: 'InvalidInstanceID.NotFound' });
    expect(
      await instanceStatus(
        ec2(() => Promise.reject(notFound)),
        'i-1',
      ),
    ).toEqual({
      state: 'absent',
      reason: { code: undefined, message: undefined },
    });
    const denied = Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' });
    await expect(
      instanceStatus(
        ec2(() => Promise.reject(denied)),
        'i-1',
      ),
    ).rejects.toThrow('denied');
  });
});
