/** Shapes of AWS identifiers and of paths, each with the fix a message offers. Pure functions, no I/O. */
import path from 'node:path';
import { type Problems, quote } from './problems.js';
import type { S3Location } from './types.js';

interface IdRule {
  pattern: RegExp;
  example: string;
}

export const ID_RULES = {
  region: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, example: 'eu-central-1' },
  roleArn: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    example: 'arn:aws:iam::123456789012:role/efsync',
  },
  roleSessionName: { pattern: /^[\w+=,.@-]{2,64}$/, example: 'efsync' },
  fileSystem: { pattern: /^fs-[0-9a-f]{8,40}$/, example: 'fs-0123456789abcdef0' },
  accessPoint: { pattern: /^fsap-[0-9a-f]{8,40}$/, example: 'fsap-0123456789abcdef0' },
  subnet: { pattern: /^subnet-[0-9a-f]{8,17}$/, example: 'subnet-0123456789abcdef0' },
  securityGroup: { pattern: /^sg-[0-9a-f]{8,17}$/, example: 'sg-0123456789abcdef0' },
  // "A stack name can contain only alphanumeric characters (case-sensitive) and hyphens. It must start with an
  // alphabetic character and can't be longer than 128 characters." (CloudFormation User Guide, Create a stack)
  stack: { pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/, example: 'efsync' },
  instanceProfile: {
    pattern: /^([\w+=,.@-]{1,128}|arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[\w+=,.@/-]{1,128})$/,
    example: 'efsync-instance',
  },
  instance: { pattern: /^i-[0-9a-f]{8,17}$/, example: 'i-0123456789abcdef0' },
  instanceType: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: 't3.small' },
} satisfies Record<string, IdRule>;

export function checkId(problems: Problems, label: string, value: string, rule: IdRule, what: string): void {
  if (!rule.pattern.test(value)) problems.add(label, `${quote(value)} is not ${what}. Write one like ${rule.example}.`);
}

// S3 bucket naming rules for general purpose buckets: 3-63 characters, lowercase letters, digits, dots and
// hyphens, starting and ending with a letter or digit, not shaped like an IP address.
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
    return 'is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)';
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes('..')) return 'is not a valid S3 bucket name';
  return undefined;
}

/** Parses s3://bucket/prefix into a bucket and a prefix that is empty or ends with '/'. */
export function parseS3Uri(problems: Problems, label: string, value: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value);
  const fix = 'Write it as s3://bucket/prefix/, e.g. s3://my-models/bert/.';
  if (!match) {
    problems.add(label, `${quote(value)} is not an S3 URI. ${fix}`);
    return undefined;
  }
  const bucket = match[1] ?? '';
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) {
    problems.add(label, `bucket ${quote(bucket)} ${bucketProblem}. ${fix}`);
    return undefined;
  }
  const prefix = match[2] ?? '';
  if (prefix.startsWith('/') || prefix.includes('//')) {
    problems.add(label, `${quote(value)} has an empty folder name in its prefix. ${fix}`);
    return undefined;
  }
  return { bucket, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Releases and locks are kept beside targets in names that start or end with '.efsync'. */
const RESERVED = /^\.efsync|\.efsync$/;

/**
 * A target is a directory on EFS relative to the file system (or access point) root: relative, no '.' or '..',
 * no empty or reserved components. Returns it without a trailing slash, or undefined after recording why not.
 */
export function normalizeTarget(problems: Problems, label: string, value: string): string | undefined {
  const fix = 'Write a relative folder such as lib or models/bert.';
  const trimmed = value.replace(/\/+$/, '');
  if (value.startsWith('/')) {
    problems.add(label, `${quote(value)} is absolute. ${fix}`);
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (trimmed === '' || /[\u0000-\u001f\u007f\\]/.test(trimmed)) {
    problems.add(label, `${quote(value)} is not a folder name. ${fix}`);
    return undefined;
  }
  const parts = trimmed.split('/');
  if (parts.some((part) => part === '..' || part === '.' || part === '')) {
    problems.add(label, `${quote(value)} has '.', '..' or an empty part. ${fix}`);
    return undefined;
  }
  if (parts.some((part) => RESERVED.test(part))) {
    problems.add(label, `${quote(value)} uses a name reserved for releases (starting or ending with .efsync). ${fix}`);
    return undefined;
  }
  if (parts.some((part) => Buffer.byteLength(part) > 255)) {
    problems.add(label, `${quote(value)} has a folder name longer than 255 bytes. ${fix}`);
    return undefined;
  }
  return trimmed;
}

/** Two targets overlap when one is the other or lies inside it. */
export function targetsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * Resolves a user's path against the workspace and keeps it inside: returns the workspace-relative path ('' for
 * the workspace itself), or undefined after recording the problem.
 */
export function workspacePath(
  problems: Problems,
  label: string,
  workspace: string,
  value: string,
  example = 'models',
): string | undefined {
  const relative = path.relative(workspace, path.resolve(workspace, value));
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    problems.add(
      label,
      `${quote(value)} is outside the workspace. Write a path inside the repository, e.g. ${example}.`,
    );
    return undefined;
  }
  return relative;
}

/** A key prefix for S3: no leading slash, no '..', empty or ending with '/'. */
export function normalizePrefix(problems: Problems, label: string, value: string): string | undefined {
  if (value.startsWith('/') || value.split('/').some((part) => part === '..' || part === '.')) {
    problems.add(label, `${quote(value)} is not a key prefix. Write folders without a leading slash, e.g. efsync/.`);
    return undefined;
  }
  return value === '' || value.endsWith('/') ? value : `${value}/`;
}
