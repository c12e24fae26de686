import { describe, expect, it } from 'vitest';
import { fileSystemDnsName, planMount, policyFacts } from '../../../src/remote/preflight/efs-mount.ts';

const TLS_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  ],
});

describe('policyFacts', () => {
  it('no policy: the default, which lets every client in', () => {
    expect(policyFacts(undefined)).toEqual({ exists: false, requiresTls: false });
  });

  it('a Deny on aws:SecureTransport false requires TLS, whatever the case or form of the value', () => {
    expect(policyFacts(TLS_ONLY)).toEqual({ exists: true, requiresTls: true });
    const listed = TLS_ONLY.replace('"false"', '["FALSE"]').replace('"Bool"', '"BoolIfExists"');
    expect(policyFacts(listed).requiresTls).toBe(true);
  });

  it('an Allow on aws:SecureTransport, or a policy without the key, does not', () => {
    expect(policyFacts(TLS_ONLY.replace('"Deny"', '"Allow"')).requiresTls).toBe(false);
    const iamOnly = JSON.stringify({ Statement: { Effect: 'Allow', Principal: { AWS: '*' }, Action: '*' } });
    expect(policyFacts(iamOnly)).toEqual({ exists: true, requiresTls: false });
  });

  it('an unreadable policy is taken as the strictest', () => {
    expect(policyFacts('{not json')).toEqual({ exists: true, requiresTls: true });
  });
});

describe('planMount', () => {
  const base = { fileSystemId: 'fs-0123', region: 'eu-central-1', mountTargetIp: '10.0.1.5' };

  it('no policy, no access point: TLS without iam, plain NFSv4.1 allowed as the fallback', () => {
    const mount = planMount({ ...base, policy: policyFacts(undefined) });
    expect(mount).toMatchObject({
      fileSystemId: 'fs-0123',
      dnsName: 'fs-0123.efs.eu-central-1.amazonaws.com',
      mountTargetIp: '10.0.1.5',
      iam: false,
      plainNfsAllowed: true,
    });
    expect(mount.reason).toContain('no policy');
  });

  it('a policy: iam, no plain NFS, and the reason names TLS', () => {
    const mount = planMount({ ...base, policy: policyFacts(TLS_ONLY) });
    expect(mount).toMatchObject({ iam: true, plainNfsAllowed: false });
    expect(mount.reason).toContain('denies access without encryption in transit');
  });

  it('an access point: iam and the access point, no plain NFS', () => {
    const mount = planMount({ ...base, accessPointId: 'fsap-1', policy: policyFacts(undefined) });
    expect(mount).toMatchObject({ iam: true, accessPointId: 'fsap-1', plainNfsAllowed: false });
  });

  it('without a mount target IP the spec has none', () => {
    expect(planMount({ ...base, mountTargetIp: undefined, policy: policyFacts(undefined) })).not.toHaveProperty(
      'mountTargetIp',
    );
  });
});

describe('fileSystemDnsName', () => {
  it("takes the DNS suffix from the region's partition", () => {
    expect(fileSystemDnsName('fs-1', 'us-east-1')).toBe('fs-1.efs.us-east-1.amazonaws.com');
    expect(fileSystemDnsName('fs-1', 'cn-north-1')).toBe('fs-1.efs.cn-north-1.amazonaws.com.cn');
    expect(fileSystemDnsName('fs-1', 'us-gov-west-1')).toBe('fs-1.efs.us-gov-west-1.amazonaws.com');
  });
});
