/**
 * Dependencies are resolved on the runner for the Lambda platform, not for the runner: pip/uv get the runtime's
 * Python version and every manylinux tag its glibc can load, and binary wheels only, since nothing can be compiled
 * for Amazon Linux here. This module is the pure part (tags, key, argv, error text); deps-install.ts runs processes.
 */
import { createHash } from 'node:crypto';
import type { Architecture, DepsSource } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
import { findRuntime, PYTHON_RUNTIMES } from '../core/runtimes.js';
import { stripUrlCredentials } from '../core/url-credentials.js';

export type InstallerName = 'pip' | 'uv';

export class DependencyError extends EfsyncError {}

/** Lambda's arm64 is aarch64 in wheel tags. */
export function wheelArch(architecture: Architecture): 'x86_64' | 'aarch64' {
  return architecture === 'arm64' ? 'aarch64' : 'x86_64';
}

function runtimeGlibc(pythonVersion: string): [number, number] {
  const runtime = findRuntime(pythonVersion);
  if (runtime === undefined) {
    const known = PYTHON_RUNTIMES.map((r) => r.version).join(', ');
    throw new DependencyError(`python${pythonVersion} is not a Lambda runtime; use one of ${known}.`);
  }
  return runtime.glibc;
}

/**
 * Every tag pip's explicit --platform must list (it expands none of the manylinux_2_x range itself), most specific
 * first, which is the order pip prefers when a release has several wheels. manylinux1 and manylinux2010 were never
 * defined for aarch64.
 */
export function platformTags(pythonVersion: string, architecture: Architecture): string[] {
  const [, maxMinor] = runtimeGlibc(pythonVersion);
  const arch = wheelArch(architecture);
  const tags: string[] = [];
  for (let minor = maxMinor; minor >= 17; minor--) tags.push(`manylinux_2_${minor}_${arch}`);
  tags.push(`manylinux2014_${arch}`);
  if (arch === 'x86_64') tags.push(`manylinux2010_${arch}`, `manylinux1_${arch}`);
  return tags;
}

/** The glibc levels uv's --python-platform accepts (uv-configuration TargetTriple); there is no 2_18 … 2_27. */
const UV_MANYLINUX_MINORS = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

/** The highest uv platform the runtime can load: for Amazon Linux 2 (glibc 2.26) that is 2_17. */
export function uvPythonPlatform(pythonVersion: string, architecture: Architecture): string {
  const [, maxMinor] = runtimeGlibc(pythonVersion);
  const minor = Math.max(...UV_MANYLINUX_MINORS.filter((m) => m <= maxMinor));
  return `${wheelArch(architecture)}-manylinux_2_${minor}`;
}

export interface DepsKeyInput {
  requirementsText: string;
  pythonVersion: string;
  architecture: Architecture;
  /** The installer that runs, not the choice: 'auto' may pick either. */
  installer: InstallerName;
  pipArgs: string[];
  /** The index URLs, credentials stripped, that the installer reads from its environment and configuration files. */
  indexes?: string[];
  /** Whether .pyc files are written (compile, with `auto` resolved): turning it on republishes once. */
  compiled?: boolean;
}

/**
 * Hex sha256 of everything that decides the installed tree; the tags are in it so a new tag table re-publishes.
 * Index URLs count without their credentials, wherever they are named: a rotated token is the same index.
 */
export function depsReleaseKey(input: DepsKeyInput): string {
  const material = JSON.stringify([
    'efsync-deps-1',
    stripUrlCredentials(input.requirementsText),
    input.pythonVersion,
    input.architecture,
    platformTags(input.pythonVersion, input.architecture),
    input.installer,
    input.pipArgs.map(stripUrlCredentials),
    // Only when there are any, so that the key of an install without them is what it always was.
    ...(input.indexes?.length ? [input.indexes] : []),
    // Likewise only when on: the .pyc mode is part of the tree.
    ...(input.compiled ? ['pyc-unchecked-hash'] : []),
  ]);
  return createHash('sha256').update(material).digest('hex');
}

export { includedFile } from '../core/requirements.js';

export interface InstallCommandInput {
  installer: InstallerName;
  /** The interpreter that runs pip; for uv the environment it reads (uv finds one itself when absent). */
  python?: string;
  requirements: string;
  target: string;
  pythonVersion: string;
  architecture: Architecture;
  pipArgs: string[];
}

/**
 * argv for the installer; never a shell string, so no path or argument is ever interpreted by a shell. It writes no
 * .pyc: the installer's interpreter need not be the target's version, and bytecode.ts compiles with one that is.
 */
export function installCommand(input: InstallCommandInput): { command: string; args: string[] } {
  if (input.installer === 'uv') {
    const args = ['pip', 'install', '--target', input.target];
    if (input.python) args.push('--python', input.python);
    args.push(
      '--python-platform',
      uvPythonPlatform(input.pythonVersion, input.architecture),
      '--python-version',
      input.pythonVersion,
      '--only-binary',
      ':all:',
      '--requirement',
      input.requirements,
      '--no-compile-bytecode',
      ...input.pipArgs,
    );
    return { command: 'uv', args };
  }
  if (!input.python) throw new DependencyError('pip needs a Python interpreter to run with.');
  const args = ['-m', 'pip', 'install', '--target', input.target, '--implementation', 'cp'];
  args.push('--python-version', input.pythonVersion, '--only-binary=:all:');
  for (const tag of platformTags(input.pythonVersion, input.architecture)) args.push('--platform', tag);
  args.push('--requirement', input.requirements, '--no-input', '--disable-pip-version-check', '--no-compile');
  args.push(...input.pipArgs);
  return { command: input.python, args };
}

/** pip's and uv's ways of saying a requirement has no usable distribution; group 1 is the requirement. */
const NO_DISTRIBUTION = [
  /No matching distribution found for (\S+)/,
  /Could not find a version that satisfies the requirement (\S+)/,
  /Because (\S+) was not found in the package (?:registry|index)/,
  /Because (?:only |all versions of |there (?:is|are) no versions of )?(\S+) (?:is available and \S+ )?(?:has|have) no (?:usable |matching )?(?:wheels|source distribution)/,
];

/** The requirement the installer could not find a wheel for, if its output says so. */
export function missingRequirement(output: string): string | undefined {
  for (const pattern of NO_DISTRIBUTION) {
    const match = pattern.exec(output)?.[1];
    if (match) return match;
  }
  return undefined;
}

/** pip's and uv's ways of saying an index refused the request's credentials (pip says so only with -vv). */
const REFUSED = [
  /\b(401|403) Client Error: (?:Unauthorized|Forbidden) for url: (\S+)/,
  /HTTP status client error \((401|403) [A-Za-z ]+\) for url \(([^)\s]+)\)/,
  /\b(401) Error, Credentials not correct for (\S+)/,
];

/** The status and URL of an index's refusal of the credentials, if the installer's output has one. */
export function refusedCredentials(output: string): { status: string; url: string } | undefined {
  for (const pattern of REFUSED) {
    const match = pattern.exec(output);
    if (match) return { status: match[1] ?? '', url: match[2] ?? '' };
  }
  return undefined;
}

/**
 * One message for a failed install: an index that refused its credentials, a named missing wheel, else the tail of
 * the installer's output. `authenticated` are the indexes that carry credentials (without them): pip reports a
 * refused login only as "no version found", so the missing-wheel message then names them too.
 */
export function explainInstallFailure(
  deps: Pick<DepsSource, 'pythonVersion' | 'architecture'>,
  installer: InstallerName,
  exitCode: number | null,
  output: readonly string[],
  authenticated: readonly string[] = [],
): string {
  const refused = refusedCredentials(output.join('\n'));
  if (refused !== undefined) {
    return (
      `A package index refused the credentials (HTTP ${refused.status} for ${refused.url}). Check the token: it may ` +
      'have expired (a CodeArtifact token lasts 12 hours at most) or not grant read access to the repository.'
    );
  }
  const missing = missingRequirement(output.join('\n'));
  if (missing !== undefined) {
    const login =
      authenticated.length === 0
        ? ''
        : ` If it is on ${authenticated.join(' or ')}, that index may have refused the credentials, which ${installer} ` +
          'reports the same way: check the token (add -vv to pip-args to see the refusal).';
    return (
      `${missing} has no wheel for python${deps.pythonVersion} on manylinux ${wheelArch(deps.architecture)} (it may ` +
      'publish only a source distribution, or not exist): pin a version that has wheels, or build it on Amazon ' +
      `Linux and publish it with local-dir.${login}`
    );
  }
  const tail = output.filter((line) => line.trim() !== '').slice(-15);
  return `${installer} install failed (exit code ${exitCode}). Its last lines:\n${tail.join('\n')}`;
}
