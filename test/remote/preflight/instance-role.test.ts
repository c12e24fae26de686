import { describe, expect, it } from 'vitest';
import { AGENT_ACTIONS, decideAgentRole } from '../../../src/remote/preflight/instance-role.js';

const policy = (statements: object[]) => ({ Version: '2012-10-17', Statement: statements });

describe('decideAgentRole', () => {
  it('the template’s inline policy grants every action the agent needs', () => {
    const inline = [
      { name: 'ssm-agent-run-command', document: policy([{ Effect: 'Allow', Action: AGENT_ACTIONS, Resource: '*' }]) },
    ];
    expect(decideAgentRole(inline, [])).toEqual({ granted: true, via: 'its inline policies ssm-agent-run-command' });
  });

  it('AmazonSSMManagedInstanceCore attached grants them', () => {
    const arn = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';
    expect(decideAgentRole([], [arn])).toEqual({ granted: true, via: `the attached ${arn}` });
  });

  it('wildcards count; a Deny or a narrower resource does not grant', () => {
    const wild = policy([
      { Effect: 'Allow', Action: ['ssm:Update*', 'ec2messages:*', 'ssmmessages:*Control*'], Resource: '*' },
    ]);
    expect(decideAgentRole([{ name: 'p', document: wild }], []).granted).toBe(true);
    const denied = policy([
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'ec2messages:GetMessages', Resource: '*' },
    ]);
    expect(decideAgentRole([{ name: 'p', document: denied }], [])).toEqual({
      granted: false,
      missing: ['ec2messages:GetMessages'],
      unread: [],
    });
    const narrow = policy([{ Effect: 'Allow', Action: AGENT_ACTIONS, Resource: 'arn:aws:ssm:*:*:document/x' }]);
    expect(decideAgentRole([{ name: 'p', document: narrow }], []).granted).toBe(false);
  });

  it('only the heartbeat: names what is missing, and the attached policies it did not read', () => {
    const only = policy([{ Effect: 'Allow', Action: 'ssm:UpdateInstanceInformation', Resource: '*' }]);
    const decision = decideAgentRole([{ name: 'p', document: only }], ['arn:aws:iam::123456789012:policy/mine']);
    expect(decision).toEqual({
      granted: false,
      missing: AGENT_ACTIONS.slice(1),
      unread: ['arn:aws:iam::123456789012:policy/mine'],
    });
  });
});
