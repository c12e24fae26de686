// What an NFS client may do on a file system, as EFS decides it from the file system policy and, for a client that
// mounts with `iam`, its role's identity policies. Source: EFS User Guide, "Using IAM to control access to file
// systems" (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html):
// - with no file system policy (DescribeFileSystemPolicy: PolicyNotFound), any client that reaches a mount target
//   has full access, root included (EFS does not squash root by default);
// - elasticfilesystem:ClientMount is read-only access, ClientWrite adds writes, ClientRootAccess keeps root root;
// - an Allow in either the identity policy or the file system policy grants the action; a Deny in either refuses it;
// - a client that mounts without `iam` is anonymous: only statements for every principal ("*") apply to it;
// - the condition keys EFS evaluates for clients include aws:SecureTransport (TLS) and
//   elasticfilesystem:AccessedViaMountTarget.
// A statement with a condition this test bed does not evaluate counts for a Deny and not for an Allow: the test bed
// may refuse more than EFS would, never less.

export type Access = 'denied' | 'read-only' | 'root-squashed' | 'full';

export interface Client {
  tls: boolean;
  /** The role the client presents with `iam`; undefined: anonymous. */
  roleArn?: string | undefined;
  /** The role's identity policy documents (JSON). */
  identityPolicies: string[];
}

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

const ACTIONS = ['ClientMount', 'ClientWrite', 'ClientRootAccess'] as const;

export function clientAccess(fileSystemArn: string, policy: string | undefined, client: Client): Access {
  if (policy === undefined) return 'full';
  const resource = statements(policy);
  const identity = client.roleArn ? client.identityPolicies.flatMap(statements) : [];
  const context = { tls: client.tls, roleArn: client.roleArn, fileSystemArn };
  const may = (action: (typeof ACTIONS)[number]) => {
    const name = `elasticfilesystem:${action}`;
    const applies = (s: Statement, effect: string, principal: boolean) =>
      s.Effect === effect &&
      (!principal || principalMatches(s.Principal, client.roleArn)) &&
      listMatches(s.Action, name) &&
      (principal || listMatches(s.Resource ?? '*', fileSystemArn)) &&
      conditionHolds(s.Condition, context, effect === 'Deny');
    const denied = resource.some((s) => applies(s, 'Deny', true)) || identity.some((s) => applies(s, 'Deny', false));
    const allowed = resource.some((s) => applies(s, 'Allow', true)) || identity.some((s) => applies(s, 'Allow', false));
    return allowed && !denied;
  };
  if (!may('ClientMount')) return 'denied';
  if (!may('ClientWrite')) return 'read-only';
  if (!may('ClientRootAccess')) return 'root-squashed';
  return 'full';
}

function statements(document: string): Statement[] {
  const text = document.startsWith('%') ? decodeURIComponent(document) : document;
  const parsed = JSON.parse(text) as { Statement?: Statement | Statement[] };
  return [parsed.Statement ?? []].flat();
}

function principalMatches(principal: unknown, roleArn: string | undefined): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const aws = [(principal as { AWS?: unknown }).AWS ?? []].flat().map(String);
  return aws.includes('*') || (roleArn !== undefined && aws.includes(roleArn));
}

function listMatches(patterns: unknown, value: string): boolean {
  return [patterns ?? []].flat().some((p) => globMatches(String(p), value));
}

function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(value);
}

function conditionHolds(
  condition: unknown,
  context: { tls: boolean; roleArn: string | undefined; fileSystemArn: string },
  forDeny: boolean,
): boolean {
  if (typeof condition !== 'object' || condition === null) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys as Record<string, unknown>).every(([key, expected]) => {
      const wanted = [expected].flat().map((v) => String(v).toLowerCase());
      const actual =
        key.toLowerCase() === 'aws:securetransport'
          ? String(context.tls)
          : key.toLowerCase() === 'elasticfilesystem:accessedviamounttarget'
            ? 'true'
            : undefined;
      if (actual === undefined || !/^Bool(IfExists)?$/.test(operator)) return forDeny;
      return wanted.includes(actual);
    }),
  );
}
