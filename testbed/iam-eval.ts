// IAM policy evaluation for the test bed: every request signed by the action's role (a session STS issued for it, or
// the static key the bed gives the action when a test runs it without OIDC) is evaluated against that role's policies
// as infra/efsync.yaml deploys them (stacks.ts), for each resource and condition context AWS builds for the call
// (iam-requests.ts). The evaluation is @cloud-copilot/iam-simulate's, an implementation of IAM's policy evaluation
// logic ("Policy evaluation logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny wins, else an Allow is needed, else the request is implicitly denied. It is AGPL-3.0-or-later and
// a devDependency only: nothing under src/ imports it, so it never enters dist/ (test/infra/policy.test.ts checks).
// Any other key (the harness's own "testbed", "testing") is an administrator and is never evaluated.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { Check } from './iam-requests.ts';
import { ACCOUNT, type PolicyDocument, type RenderedStack } from './stacks.ts';

export interface Role {
  name: string;
  arn: string;
  stack: string;
  policies: { name: string; document: PolicyDocument }[];
  trust: PolicyDocument;
}

export interface CheckResult {
  action: string;
  resource: string;
  allowed: boolean;
}

export interface Evaluation {
  principal: string;
  allowed: boolean;
  checks: CheckResult[];
  /** The first check that failed: the one AWS's refusal names. */
  denied?: Check;
}

/** The static key the bed maps to a stack's action role: what the action is given when a test runs it without OIDC. */
export const actionAccessKey = (stackName: string) =>
  stackName === 'efsync' ? 'efsync-action' : `${stackName}-action`;

/** The session name in the principal ARN of a static action key (a static key has no session of its own). */
const STATIC_SESSION = 'static-key';

const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

/** Whether one (action, resource, context) is allowed by identity policies, as IAM evaluates it. */
export async function allowedBy(
  policies: { name: string; document: PolicyDocument }[],
  principal: string,
  check: Check,
): Promise<boolean> {
  // The request's resource is literal: a launch is authorized on arn:…:instance/* (the instance has no id yet), which
  // a policy's instance/* matches and its instance/i-0abc does not. iam-simulate reads a "*" in the request as "any
  // resource" and allows when some resource would be allowed, so the request's "*" becomes a character no policy names
  // ("∗", U+2217), which only a policy's own wildcards match.
  const literal = check.resource.replace(/\*/g, '\u2217');
  const simulation = (resource: string) => ({
    request: {
      principal,
      action: check.action,
      // AWS-owned documents, images and public parameters name no account: identity policies alone decide.
      resource: { resource, accountId: ACCOUNT },
      contextVariables: check.context,
    },
    identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    // A KMS key is reached only when its key policy allows it; the default key policy (the one CreateKey gives when
    // none is given, as in the bed) hands that decision to the account's IAM policies ("Default key policy",
    // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
    ...(check.action.startsWith('kms:') && { resourcePolicy: DEFAULT_KEY_POLICY }),
  });
  const result = await runSimulation(simulation(literal), {});
  if (result.resultType !== 'error') return result.overallResult === 'Allowed';
  // An action without resource types (Describe*, GetCommandInvocation, …) is authorized on "*" alone.
  if (result.errors.message === 'must.use.wildcard') {
    const wildcard = await runSimulation(simulation('*'), {});
    if (wildcard.resultType !== 'error') return wildcard.overallResult === 'Allowed';
  }
  // iam-simulate validates the resource against the reference's ARN pattern, which writes ${Account} even for the
  // account-less ARNs of AWS-owned documents and public parameters (arn:aws:ssm:<region>::document/AWS-RunShellScript),
  // and refuses a "*" for an action that has resource types: those are evaluated without its validation.
  try {
    return runUnsafeSimulation(simulation(literal), {}) === 'Allowed';
  } catch {
    return false; // what the simulator cannot evaluate is not allowed
  }
}

export class IamEvaluator {
  private readonly roles = new Map<string, Role>();
  private readonly staticKeys = new Map<string, string>();

  /** A stack's roles: its action role (under its static key too) and its instance role. */
  addStack(stack: RenderedStack): void {
    const { actionRole, instanceRole, stackName } = stack;
    this.roles.set(actionRole.name, { ...actionRole, stack: stackName });
    this.roles.set(instanceRole.name, { ...instanceRole, stack: stackName });
    // Functions' execution roles: what a function's own calls through the bed are evaluated against (lambda-pool.ts).
    for (const role of stack.functionRoles) this.roles.set(role.name, { ...role, stack: stackName });
    this.staticKeys.set(actionAccessKey(stackName), actionRole.name);
  }

  role(name: string): Role | undefined {
    return this.roles.get(name);
  }

  /**
   * A role no stack deployed (a test's function role), evaluated with the policies IAM holds for it; a role the bed
   * knows already keeps its own.
   */
  addRole(role: Role): void {
    if (!this.roles.has(role.name)) this.roles.set(role.name, role);
  }

  /** Adds, replaces or (without a document) removes one inline policy of a role the bed deployed. */
  putInlinePolicy(roleName: string, policyName: string, document: PolicyDocument | undefined): void {
    const role = this.roles.get(roleName);
    if (!role) return;
    const others = role.policies.filter((p) => p.name !== policyName);
    role.policies = document ? [...others, { name: policyName, document }] : others;
  }

  /** Replaces a role's policies (a stack update). */
  setPolicies(roleName: string, policies: Role['policies']): void {
    const role = this.roles.get(roleName);
    if (role) role.policies = policies;
  }

  /**
   * Who signs with this key, if the bed evaluates them: the role and the principal ARN a refusal names. `session` is
   * the assumed-role ARN STS gave for keys it issued (sessions.ts).
   */
  identityOf(key: string | undefined, session: string | undefined): { role: Role; principal: string } | undefined {
    if (!key) return undefined;
    if (session) {
      const name = /:assumed-role\/([^/]+)\//.exec(session)?.[1];
      const role = name ? this.roles.get(name) : undefined;
      // A session of a role the bed did not deploy has no policies the bed knows: nothing allows it.
      return {
        role: role ?? { name: name ?? '', arn: '', stack: '', policies: [], trust: { Version: '', Statement: [] } },
        principal: session,
      };
    }
    const name = this.staticKeys.get(key);
    const role = name ? this.roles.get(name) : undefined;
    if (!role) return undefined;
    return { role, principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/${STATIC_SESSION}` };
  }

  /** Evaluates every check in order; the request is allowed only when each is. */
  async evaluate(identity: { role: Role; principal: string }, checks: Check[]): Promise<Evaluation> {
    const results: CheckResult[] = [];
    let denied: Check | undefined;
    for (const check of checks) {
      const allowed = await allowedBy(identity.role.policies, identity.principal, check);
      results.push({ action: check.action, resource: check.resource, allowed });
      if (!allowed && !denied) denied = check;
    }
    return { principal: identity.principal, allowed: denied === undefined, checks: results, ...(denied && { denied }) };
  }

  /**
   * Whether a role's trust policy lets a GitHub OIDC token with these claims assume it: an Allow statement for
   * sts:AssumeRoleWithWebIdentity whose StringEquals and StringLike conditions on token.actions.githubusercontent.com
   * claims all match ("Configuring a role for GitHub OIDC identity provider",
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub).
   * Roles the bed did not deploy are not checked.
   */
  trusts(roleArn: string, claims: Record<string, unknown>): boolean {
    const name = /:role\/(?:.*\/)?([^/]+)$/.exec(roleArn)?.[1] ?? '';
    const role = this.roles.get(name);
    if (!role) return true;
    return role.trust.Statement.some((statement) => {
      const actions = [statement.Action].flat();
      if (statement.Effect !== 'Allow' || !actions.includes('sts:AssumeRoleWithWebIdentity')) return false;
      const conditions = (statement.Condition ?? {}) as Record<string, Record<string, string | string[]>>;
      return Object.entries(conditions).every(([operator, byKey]) =>
        Object.entries(byKey).every(([key, wanted]) => {
          const claim = claims[key.replace(/^token\.actions\.githubusercontent\.com:/, '')];
          if (typeof claim !== 'string') return false;
          const values = [wanted].flat();
          if (operator === 'StringEquals') return values.includes(claim);
          if (operator === 'StringLike') return values.some((v) => like(v).test(claim));
          return false; // an operator this check does not know never matches: strict
        }),
      );
    });
  }
}

/** IAM's StringLike: * any run of characters, ? any one. */
function like(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}
