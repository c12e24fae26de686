import { describe, expect, it } from 'vitest';
import { explainAwsError, iamAction, isNotFound, type TaggedError } from '../../src/aws/errors.js';

function awsError(name: string, message: string, action?: string): TaggedError {
  const error: TaggedError = Object.assign(new Error(message), { name });
  if (action) error.$efsyncAction = action;
  return error;
}

describe('iamAction', () => {
  it.each([
    ['ec2', 'RunInstances', 'ec2:RunInstances'],
    ['ssm', 'SendCommand', 'ssm:SendCommand'],
    ['elasticfilesystem', 'DescribeMountTargets', 'elasticfilesystem:DescribeMountTargets'],
    ['s3', 'PutObject', 's3:PutObject'],
    ['s3', 'ListObjectsV2', 's3:ListBucket'],
    ['s3', 'HeadBucket', 's3:ListBucket'],
    ['s3', 'HeadObject', 's3:GetObject'],
    ['s3', 'DeleteObjects', 's3:DeleteObject'],
    ['s3', 'CreateMultipartUpload', 's3:PutObject'],
    ['s3', 'UploadPart', 's3:PutObject'],
    ['s3', 'CompleteMultipartUpload', 's3:PutObject'],
    ['s3', 'ListMultipartUploads', 's3:ListBucketMultipartUploads'],
    // The S3 renames apply to S3 only.
    ['ec2', 'HeadObject', 'ec2:HeadObject'],
  ])('%s %s is %s', (service, operation, action) => {
    expect(iamAction(service, operation)).toBe(action);
  });
});

describe('isNotFound', () => {
  it.each([
    'FileSystemNotFound',
    'AccessPointNotFound',
    'InvalidSubnetID.NotFound',
    'NoSuchEntity',
    'NoSuchKey',
    'NoSuchBucket',
    'NotFound',
  ])('%s is a missing resource', (name) => {
    expect(isNotFound(awsError(name, 'gone'))).toBe(true);
  });

  it.each(['AccessDenied', 'UnauthorizedOperation', 'ThrottlingException', 'ValidationError', 'AlsoNoSuchThing'])(
    '%s is not',
    (name) => {
      expect(isNotFound(awsError(name, 'no'))).toBe(false);
    },
  );

  it('reads only errors', () => {
    expect(isNotFound({ name: 'NoSuchKey' })).toBe(false);
    expect(isNotFound('NoSuchKey')).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

describe('explainAwsError', () => {
  it('names the action to allow when AWS refused it', () => {
    expect(explainAwsError(awsError('UnauthorizedOperation', 'You are not authorized', 'ec2:RunInstances'))).toBe(
      "ec2:RunInstances was denied (UnauthorizedOperation: You are not authorized). Allow ec2:RunInstances in the role's policy (docs/iam-policy.json has them all).",
    );
  });

  it.each([
    ['AccessDenied', 'Access Denied'],
    ['AccessDeniedException', 'User is not authorized to perform ssm:SendCommand'],
    ['Forbidden', 'Forbidden'],
    ['UnknownError', 'User: arn:aws:sts::1:assumed-role/x is not authorized: AccessDenied'],
  ])('reads %s (%s) as a refusal', (name, message) => {
    expect(explainAwsError(awsError(name, message, 's3:PutObject'))).toBe(
      `s3:PutObject was denied (${name}: ${message}). Allow s3:PutObject in the role's policy (docs/iam-policy.json has them all).`,
    );
  });

  it('names the operation of any other failure', () => {
    expect(
      explainAwsError(awsError('InsufficientInstanceCapacity', 'No capacity in eu-central-1a', 'ec2:RunInstances')),
    ).toBe('ec2:RunInstances failed (InsufficientInstanceCapacity): No capacity in eu-central-1a');
  });

  it('falls back to the name when the message is empty', () => {
    expect(explainAwsError(awsError('NotFound', '', 's3:ListBucket'))).toBe(
      's3:ListBucket failed (NotFound): NotFound',
    );
    expect(explainAwsError(awsError('NotFound', ''))).toBe('NotFound');
  });

  it('gives the message alone for an untagged error, and the text of anything else', () => {
    expect(explainAwsError(awsError('AccessDenied', 'Access Denied'))).toBe('Access Denied');
    expect(explainAwsError('plain text')).toBe('plain text');
    expect(explainAwsError(42)).toBe('42');
  });
});
