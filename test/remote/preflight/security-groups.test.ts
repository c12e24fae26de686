import type { IpPermission } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { cidrContains, ruleAdmitsNfs } from '../../../src/remote/preflight/security-groups.js';

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/16', '10.0.1.0/24', true],
    ['10.0.0.0/16', '10.0.0.0/16', true],
    ['10.0.0.0/16', '10.1.0.0/24', false],
    ['10.0.1.0/24', '10.0.0.0/16', false],
    ['0.0.0.0/0', '192.168.7.0/24', true],
    ['172.16.0.0/12', '172.31.255.0/24', true],
    ['172.16.0.0/12', '172.32.0.0/24', false],
    ['10.0.0.5/32', '10.0.0.5/32', true],
    ['10.0.0.5/32', '10.0.0.6/32', false],
    ['10.0.0.5', '10.0.0.5/32', true],
    ['255.255.255.0/24', '255.255.255.128/25', true],
    ['128.0.0.0/1', '127.255.255.0/24', false],
    ['', '10.0.0.0/24', false],
    ['10.0.0.0/8', '', false],
  ])('%s contains %s: %s', (outer, inner, contains) => {
    expect(cidrContains(outer, inner)).toBe(contains);
  });
});

describe('ruleAdmitsNfs', () => {
  const groups = ['sg-instance', 'sg-other'];
  const subnet = '10.0.1.0/24';
  const fromGroup = (rule: IpPermission) => ({ ...rule, UserIdGroupPairs: [{ GroupId: 'sg-instance' }] });

  it('admits TCP 2049 from one of the groups', () => {
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049 }), groups, subnet)).toBe(true);
  });

  it('admits a port range around 2049, protocol 6 and all traffic', () => {
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp', FromPort: 1024, ToPort: 3000 }), groups, undefined)).toBe(true);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: '6', FromPort: 2049, ToPort: 2049 }), groups, undefined)).toBe(true);
    // All traffic: the ports AWS reports (-1) do not matter.
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: '-1', FromPort: -1, ToPort: -1 }), groups, undefined)).toBe(true);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp' }), groups, undefined)).toBe(true);
  });

  it('refuses another port, UDP, and ICMP', () => {
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }), groups, subnet)).toBe(false);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp', FromPort: 2050, ToPort: 3000 }), groups, subnet)).toBe(false);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'tcp', FromPort: 1000, ToPort: 2048 }), groups, subnet)).toBe(false);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'udp', FromPort: 2049, ToPort: 2049 }), groups, subnet)).toBe(false);
    expect(ruleAdmitsNfs(fromGroup({ IpProtocol: 'icmp', FromPort: -1, ToPort: -1 }), groups, subnet)).toBe(false);
  });

  it('refuses a group that is not one of ours', () => {
    const rule = { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: 'sg-stranger' }] };
    expect(ruleAdmitsNfs(rule, groups, undefined)).toBe(false);
    expect(ruleAdmitsNfs({ ...rule, UserIdGroupPairs: [{}] }, groups, undefined)).toBe(false);
  });

  it('admits a CIDR that covers the whole subnet, and only with a known subnet', () => {
    const rule = (cidr: string): IpPermission => ({
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      IpRanges: [{ CidrIp: '192.168.0.0/16' }, { CidrIp: cidr }],
    });
    expect(ruleAdmitsNfs(rule('10.0.0.0/16'), groups, subnet)).toBe(true);
    expect(ruleAdmitsNfs(rule('10.0.1.0/24'), groups, subnet)).toBe(true);
    // Half the subnet is not enough: the instance may get an address in the other half.
    expect(ruleAdmitsNfs(rule('10.0.1.0/25'), groups, subnet)).toBe(false);
    expect(ruleAdmitsNfs(rule('10.0.0.0/16'), groups, undefined)).toBe(false);
    expect(ruleAdmitsNfs({ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, IpRanges: [{}] }, groups, subnet)).toBe(
      false,
    );
  });
});
