// The README has the sections a user needs, its troubleshooting table has a row for every error the credential,
// preflight and instance checks can raise, written as the message starts, and its fault table a row for every file of
// the e2e fault suite.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/repo.ts';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = (heading: string) => readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';

/** The messages of `new <Kind>Error(...)` in a source file, as written: string literals joined with `+`. */
function errorMessages(file: string, kinds: string[]): string[] {
  const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const messages: string[] = [];
  const start = new RegExp(`new (?:${kinds.join('|')})\\(\\s*`, 'g');
  const literal = /^(?:'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`)\s*(\+\s*)?/;
  for (const match of source.matchAll(start)) {
    let rest = source.slice((match.index ?? 0) + match[0].length);
    let message = '';
    for (;;) {
      const piece = literal.exec(rest);
      if (!piece) break;
      message += piece[1] ?? piece[2] ?? '';
      rest = rest.slice(piece[0].length);
      if (!piece[3]) break;
    }
    if (message) messages.push(message.replace(/\\'/g, "'"));
  }
  return messages;
}

/** The first sentence of a message as a pattern: each `${…}` matches any text. */
function firstSentencePattern(message: string): RegExp {
  const marker = '\u0000';
  const skeleton = message.replace(/\$\{[^}]*\}/g, marker);
  const end = skeleton.search(/\.(\s|$)/);
  const sentence = end === -1 ? skeleton : skeleton.slice(0, end);
  const escaped = sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll(marker, '.+?');
  return new RegExp(`^${escaped}$`);
}

/** The symptoms of the troubleshooting tables: the first cell of each row, without its backticks. */
const symptoms = section('Troubleshooting')
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) => /^\| `([^`]+)`/.exec(line)?.[1] ?? '');

describe('README', () => {
  it('has the sections a user needs', () => {
    for (const heading of [
      'Quick start',
      'EFS layout: releases and rollback',
      'IAM',
      'Private subnets and VPC endpoints',
      'Access points and uid',
      'Inputs',
      'Outputs',
      'Migrating from efsync: `efsync.yaml`',
      'Troubleshooting',
      'Limits',
      'Developing',
    ])
      expect(readme, heading).toContain(`\n## ${heading}\n`);
    expect(readme).toContain('### Running the action locally: the local AWS test bed');
  });

  it('has a quick start in five steps, linking the template and the examples', () => {
    const quick = section('Quick start');
    const steps = [...quick.matchAll(/^\*\*(\d)\. ([^*]+)\*\*/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(steps).toEqual([
      '1. Deploy the template',
      '2. Copy its outputs',
      '3. Write the workflow',
      '4. Run it',
      '5. Wire the Lambda.',
    ]);
    expect(quick).toContain('(infra/efsync.yaml)');
    expect(quick).toContain('(examples/)');
    expect(quick).toContain('(examples/lambda/handler.py)');
  });

  it('names every VPC endpoint a private subnet needs', () => {
    const endpoints = section('Private subnets and VPC endpoints');
    for (const service of ['ssm', 'ssmmessages', 'ec2messages', 's3'])
      expect(endpoints).toContain(`\`com.amazonaws.<region>.${service}\``);
  });

  it('states each limit', () => {
    const limits = section('Limits');
    for (const fact of ['24,000', '64 KB', 'SSM has it Online', '4 KB', 'role-duration-seconds', 'keep-releases'])
      expect(limits).toContain(fact);
  });

  const messages = [
    ...errorMessages('src/aws/credentials.ts', ['CredentialsError']),
    ...errorMessages('src/remote/preflight/preflight.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/access-point.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/s3-route.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/ssm-reach.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/repo-route.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/instance-role.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/checks.ts', ['PreflightError']),
    ...errorMessages('src/remote/preflight/borrowed.ts', ['PreflightError']),
    ...errorMessages('src/plan/s3-objects.ts', ['S3SourceError']),
    ...errorMessages('src/plan/bytecode.ts', ['BytecodeError']),
    ...errorMessages('src/remote/instance/launch.ts', ['InstanceError']).filter(
      (m) => m !== 'RunInstances returned no instance',
    ),
    ...errorMessages('src/remote/instance/wait.ts', ['InstanceError']),
    ...errorMessages('src/remote/engine-choice.ts', ['EfsyncError']),
    ...errorMessages('src/remote/lambda/ready.ts', ['FunctionNotReady']),
    ...errorMessages('src/remote/lambda/executor.ts', ['RemoteError']),
    ...errorMessages('src/remote/lambda/imports.ts', ['ImportsMismatch']),
    // FunctionUnavailable builds its message from the failure's cause and fix (src/remote/lambda/failures.ts).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a message as the source writes it, placeholders and all
    'The writer function ${functionName} could not run the job: ${cause}. Fix: ${fix}.',
  ];

  it('finds the error messages in the source', () => {
    expect(messages.length).toBeGreaterThanOrEqual(20);
    expect(messages).toContain(
      'role-to-assume is set, but the job has no GitHub OIDC token. Grant it with `permissions: id-token: write` (workflow or job level), or leave role-to-assume empty and configure credentials before this step.',
    );
  });

  it.each(messages)('troubleshoots: %s', (message) => {
    const pattern = firstSentencePattern(message);
    expect(
      symptoms.some((symptom) => pattern.test(symptom)),
      `no row in Troubleshooting whose symptom matches ${pattern}`,
    ).toBe(true);
  });

  it('matches only the first sentence, with any text for a placeholder (so the check above can fail)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder in a message, as the source writes it
    const pattern = firstSentencePattern('Access point ${id} does not exist. Check access-point-id.');
    expect(pattern.test('Access point fsap-… does not exist')).toBe(true);
    expect(pattern.test('Access point fsap-… is missing')).toBe(false);
    expect(pattern.test('Access point does not exist')).toBe(false);
  });

  it('names every file of the e2e fault suite in a row of the fault table, and no file that is not there', () => {
    const files = fs
      .readdirSync(path.join(ROOT, 'test/e2e'))
      .filter((f) => /^faults-.*\.test\.ts$/.test(f))
      .map((f) => f.replace(/\.test\.ts$/, ''))
      .sort();
    const rows = section('What can go wrong, and what then')
      .split('\n')
      .filter((line) => line.startsWith('| '));
    const named = new Set(rows.flatMap((row) => [...(/^\| [^|]*\(`(faults-[\w-]+)`\)/.exec(row)?.slice(1) ?? [])]));
    expect(files.length).toBeGreaterThan(0);
    expect([...named].sort()).toEqual(files);
  });
});
