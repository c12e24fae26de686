// Whether an instance's role lets SSM Agent register and take commands: "Troubleshooting managed node availability"
// (https://docs.aws.amazon.com/systems-manager/latest/userguide/troubleshooting-managed-nodes.html) names an instance
// profile with the agent's permissions as a condition of the node being managed. The permissions are the heartbeat
// (ssm:UpdateInstanceInformation), the Message Delivery Service (ec2messages) and the Message Gateway Service's control
// channel (ssmmessages), "Reference: ec2messages, ssmmessages, and other API operations",
// https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html. The bed
// evaluates them against the role's policies as it knows them (iam-eval.ts: the stacks' roles as deployed, with the
// inline policies tests put); a role it did not deploy has no policies it knows, so it grants nothing. The list is
// written here from those pages, not imported from the action's own check (src/remote/preflight/instance-role.ts): the instrument
// must not share a mistake with what it measures.
import { allowedBy, type IamEvaluator } from './iam-eval.ts';
import type { Lookup } from './iam-requests.ts';

export const AGENT_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:OpenControlChannel',
];

export async function roleGrantsAgent(evaluator: IamEvaluator, lookup: Lookup, profileArn: string): Promise<boolean> {
  const found = await lookup.profileRole(profileArn);
  const name = found?.roleArn.split('/').pop() ?? '';
  const role = evaluator.role(name);
  if (!found || !role) return false;
  for (const action of AGENT_ACTIONS) {
    if (!(await allowedBy(role.policies, found.roleArn, { action, resource: '*', context: {} }))) return false;
  }
  return true;
}
