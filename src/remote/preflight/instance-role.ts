/**
 * Whether the instance role lets SSM Agent register and take commands, checked before launching: without it the
 * instance never comes Online ("Troubleshooting managed node availability", SSM User Guide,
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/troubleshooting-managed-nodes.html). The agent's
 * calls: its heartbeat (ssm:UpdateInstanceInformation), the Message Delivery Service (ec2messages) and the Message
 * Gateway Service's control channel (ssmmessages), "Reference: ec2messages, ssmmessages, and other API operations",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html.
 *
 * What is read: the role's inline policies and the names of its attached ones. AmazonSSMManagedInstanceCore (and
 * AmazonSSMManagedEC2InstanceDefaultPolicy) grant all of them. Another attached policy is not read (that would need
 * iam:GetPolicyVersion on it): then the check says so and lets the run go on. The template lets the action role read
 * its own instance role only; a refusal (another role) is a note, not a failure. Conditions are not evaluated: a
 * statement with one counts as granting, the lenient side, since a condition can only be judged where the agent calls.
 */
import { GetRolePolicyCommand, paginateListAttachedRolePolicies, paginateListRolePolicies } from '@aws-sdk/client-iam';
import type { AwsClients } from '../../aws/clients.js';
import { isDenied } from '../../aws/errors.js';
import { PreflightError } from '../../core/errors.js';

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

/** AWS managed policies that grant every action above. */
const GRANTING_MANAGED = ['AmazonSSMManagedInstanceCore', 'AmazonSSMManagedEC2InstanceDefaultPolicy'];

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** IAM's action match: case-insensitive, `*` any run of characters, `?` one. */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return regex.test(action);
}

const covers = (s: Statement, action: string) =>
  s.NotAction !== undefined
    ? !list(s.NotAction).some((p) => matches(p, action))
    : list(s.Action).some((p) => matches(p, action));
// The agent's actions have no resource types: only a statement on every resource applies to them.
const onAnyResource = (s: Statement) => list(s.Resource).some((r) => r === '*');

export type AgentRoleDecision =
  | { granted: true; via: string }
  | { granted: false; missing: string[]; unread: string[] };

/** The decision over the role's inline policy documents (parsed) and its attached policies' ARNs. */
export function decideAgentRole(inline: { name: string; document: unknown }[], attached: string[]): AgentRoleDecision {
  const managed = attached.find((arn) => GRANTING_MANAGED.some((name) => arn.endsWith(`:policy/${name}`)));
  if (managed) return { granted: true, via: `the attached ${managed}` };
  const statements = inline.flatMap(({ document }) =>
    [(document as { Statement?: Statement | Statement[] } | undefined)?.Statement ?? []].flat(),
  );
  const allowed = (action: string) =>
    statements.some((s) => s.Effect === 'Allow' && covers(s, action) && onAnyResource(s)) &&
    !statements.some((s) => s.Effect === 'Deny' && covers(s, action) && onAnyResource(s));
  const missing = AGENT_ACTIONS.filter((action) => !allowed(action));
  if (missing.length === 0)
    return { granted: true, via: `its inline policies ${inline.map((p) => p.name).join(', ')}` };
  return { granted: false, missing, unread: attached };
}

/** Reads the role's policies and throws with the fix when it certainly lacks what SSM Agent needs. */
export async function checkAgentRole(
  clients: AwsClients,
  roleName: string,
  log: (line: string) => void,
): Promise<void> {
  const { iam } = clients;
  let inline: { name: string; document: unknown }[];
  let attached: string[];
  try {
    attached = [];
    for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName }))
      attached.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
    const names: string[] = [];
    for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: roleName }))
      names.push(...(page.PolicyNames ?? []));
    inline = [];
    for (const name of names) {
      const found = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      // IAM answers the document URL-encoded (GetRolePolicyResponse.PolicyDocument, botocore's iam service-2.json).
      inline.push({ name, document: JSON.parse(decodeURIComponent(found.PolicyDocument ?? '{}')) });
    }
  } catch (error) {
    if (!isDenied(error)) throw error;
    log(
      `Not checked whether role ${roleName} grants SSM Agent's permissions: the action role may not read it (the ` +
        "template's role reads only its own instance role)",
    );
    return;
  }
  const decision = decideAgentRole(inline, attached);
  if (decision.granted) {
    log(`Role ${roleName} grants SSM Agent's permissions through ${decision.via}`);
    return;
  }
  if (decision.unread.length > 0) {
    log(
      `Role ${roleName}'s inline policies lack ${decision.missing.join(', ')}; its attached ${decision.unread.join(', ')} ` +
        'are not read here and may grant them. If not, the instance never comes Online',
    );
    return;
  }
  throw new PreflightError(
    `The instance role ${roleName} does not grant what SSM Agent needs for Run Command: ${decision.missing.join(', ')}. ` +
      'The instance would launch and never come Online. Add them (docs/instance-role.json, policy ssm-agent-run-command), ' +
      `or: aws iam attach-role-policy --role-name ${roleName} --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`,
  );
}
