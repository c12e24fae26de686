import { describe, expect, it } from 'vitest';
import { type Client, clientAccess } from './efs-access.ts';

const FS = 'arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1';
const ROLE = 'arn:aws:iam::123456789012:role/efsync-instance';
const anonymous = (tls: boolean): Client => ({ tls, identityPolicies: [] });
const withRole = (tls: boolean, ...identityPolicies: object[]): Client => ({
  tls,
  roleArn: ROLE,
  identityPolicies: identityPolicies.map((p) => JSON.stringify(p)),
});
const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const ALL = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];

describe('clientAccess', () => {
  it('no policy: full access for anyone, with or without TLS', () => {
    expect(clientAccess(FS, undefined, anonymous(false))).toBe('full');
  });

  it('a SecureTransport deny refuses a client without TLS and admits one with it', () => {
    const p = policy(
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: ALL },
    );
    expect(clientAccess(FS, p, anonymous(false))).toBe('denied');
    expect(clientAccess(FS, p, anonymous(true))).toBe('full');
  });

  it('an IAM-only policy: anonymous clients are squashed; the role with iam is root', () => {
    const p = policy(
      { Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'elasticfilesystem:Client*' },
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: ALL.slice(0, 2) },
    );
    expect(clientAccess(FS, p, anonymous(true))).toBe('root-squashed');
    expect(clientAccess(FS, p, withRole(true))).toBe('full');
  });

  it("the role's identity policy grants what the file system policy does not", () => {
    const p = policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount' });
    expect(clientAccess(FS, p, anonymous(true))).toBe('read-only');
    const identity = { Statement: [{ Effect: 'Allow', Action: ALL, Resource: FS }] };
    expect(clientAccess(FS, p, withRole(true, identity))).toBe('full');
    const elsewhere = { Statement: [{ Effect: 'Allow', Action: ALL, Resource: `${FS}x` }] };
    expect(clientAccess(FS, p, withRole(true, elsewhere))).toBe('read-only');
  });

  it('a policy that names nobody the client is refuses it', () => {
    const p = policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/other' }, Action: ALL });
    expect(clientAccess(FS, p, anonymous(true))).toBe('denied');
  });

  it('a condition the test bed does not evaluate counts for a Deny, not for an Allow', () => {
    const odd = { StringEquals: { 'aws:SourceVpc': 'vpc-1' } };
    expect(
      clientAccess(FS, policy({ Effect: 'Allow', Principal: '*', Action: ALL, Condition: odd }), anonymous(true)),
    ).toBe('denied');
    const p = policy(
      { Effect: 'Allow', Principal: '*', Action: ALL },
      { Effect: 'Deny', Principal: '*', Action: 'elasticfilesystem:ClientRootAccess', Condition: odd },
    );
    expect(clientAccess(FS, p, anonymous(true))).toBe('root-squashed');
  });
});
