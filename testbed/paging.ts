// Pages, as AWS gives them. An answer longer than the API's page is cut at the page, with a token for the rest, so a
// client that reads one page misses what the later ones hold. The page is the request's MaxResults when it gives one,
// else the API's documented default. A test can shrink the default (settings.pageSizes), so that a few resources
// make several pages: stricter than AWS, never kinder.
//
// The APIs the bed answers itself, from botocore's ssm service-2.json:
// - DescribeInstanceInformation: MaxResults 5 to 50, "The default value is 10 items."
// - ListCommandInvocations, ListCommands: MaxResults 1 to 50; the default is not documented, so the strict side: a
//   page smaller than the maximum, 10, the default SSM documents for DescribeInstanceInformation.
// An unknown or altered token is refused: InvalidNextToken, "The specified token isn't valid." (same model).
// moto answers EC2 and EFS, and the bed does not page those further: the action gives them no MaxResults and reads
// them through the SDK's paginators, which follow whatever token comes back. (EC2 documents that all items come back
// without MaxResults for some of its calls, e.g. DescribeSecurityGroups in ec2 service-2.json; moto pages
// DescribeInstances by reservation when MaxResults is given.)
import { SsmError } from './ssm.ts';

export interface PageRule {
  /** Items in a page when the request gives no MaxResults. */
  defaultSize: number;
  /** The largest MaxResults the API accepts. */
  maxSize: number;
}

export const PAGES: Readonly<Record<string, PageRule>> = {
  DescribeInstanceInformation: { defaultSize: 10, maxSize: 50 },
  ListCommandInvocations: { defaultSize: 10, maxSize: 50 },
  ListCommands: { defaultSize: 10, maxSize: 50 },
};

export interface Page<T> {
  items: T[];
  NextToken?: string;
}

/**
 * One page of `items` for a request of `operation` with its MaxResults and NextToken; `shrink` is a test's smaller
 * default page (settings.pageSizes). The token names the operation and the offset, and is refused for another one.
 */
export function pageOf<T>(
  operation: string,
  items: T[],
  input: { MaxResults?: unknown; NextToken?: unknown },
  shrink?: Readonly<Record<string, number>>,
): Page<T> {
  const rule = PAGES[operation];
  if (!rule) return { items };
  let offset = 0;
  if (input.NextToken !== undefined) {
    const parsed = readToken(String(input.NextToken));
    if (!parsed || parsed.operation !== operation || parsed.offset > items.length)
      throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
    offset = parsed.offset;
  }
  const asked = typeof input.MaxResults === 'number' ? input.MaxResults : rule.defaultSize;
  const size = Math.max(1, Math.min(asked, rule.maxSize, shrink?.[operation] ?? Number.POSITIVE_INFINITY));
  const end = offset + size;
  return end < items.length
    ? { items: items.slice(offset, end), NextToken: makeToken(operation, end) }
    : { items: items.slice(offset) };
}

function makeToken(operation: string, offset: number): string {
  return Buffer.from(JSON.stringify({ operation, offset })).toString('base64url');
}

function readToken(token: string): { operation: string; offset: number } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      operation?: unknown;
      offset?: unknown;
    };
    return typeof parsed.operation === 'string' && Number.isInteger(parsed.offset) && Number(parsed.offset) >= 0
      ? { operation: parsed.operation, offset: Number(parsed.offset) }
      : undefined;
  } catch {
    return undefined;
  }
}
