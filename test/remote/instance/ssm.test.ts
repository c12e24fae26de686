import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { bootstrap, JOB_URL_SECONDS, pollDelayMs, runRemote } from '../../../src/remote/instance/ssm.js';
import { RemoteError } from '../../../src/remote/outcome.js';

const URL = 'https://efsync-staging.s3.eu-central-1.amazonaws.com/efsync/runs/r1/job.json?X-Amz-Signature=abc%2F&x=1';
const SHA = 'a'.repeat(64);

describe('bootstrap', () => {
  const lines = bootstrap(URL, SHA);

  it('is a strict bash script that fetches, verifies and runs the agent in a work folder of its own', () => {
    expect(lines.slice(0, 7)).toEqual([
      '#!/bin/bash',
      'set -euo pipefail',
      'umask 022',
      'work=$(mktemp -d -t efsync-run.XXXXXXXXXX)',
      `trap 'cd / && rm -rf "$work"' EXIT`,
      'exec 8>"$work/.in-use"',
      'flock 8',
    ]);
    const fetch = lines.indexOf(`python3 - '${URL}' ${SHA} <<'EFSYNC_FETCH'`);
    expect(lines[fetch - 1]).toBe('cd "$work"');
    expect(lines.at(-2)).toBe('EFSYNC_FETCH');
    // Not exec: the trap removes the work folder when the agent ends.
    expect(lines.at(-1)).toBe('python3 efsync_agent.pyz job.json');
    // The here-document is quoted, so nothing in it is expanded by bash.
    expect(lines.filter((line) => line === 'EFSYNC_FETCH')).toHaveLength(1);
  });

  it('holds no other value than the URL, single-quoted, and the hash', () => {
    const other = bootstrap('http://127.0.0.1:4566/bucket/other-run/job.json', 'b'.repeat(64));
    const skeleton = (text: string[], url: string, sha: string) =>
      text.join('\n').replace(url, 'URL').replace(sha, 'SHA');
    expect(skeleton(lines, URL, SHA)).toBe(
      skeleton(other, 'http://127.0.0.1:4566/bucket/other-run/job.json', 'b'.repeat(64)),
    );
    expect(lines.join('\n').split(URL)).toHaveLength(2);
    expect(lines.join('\n').split(SHA)).toHaveLength(2);
  });

  it.each([
    ['a single quote', "https://bucket.example/job.json?x='$(reboot)'"],
    ['a space', 'https://bucket.example/job.json x'],
    ['a tab', 'https://bucket.example/job.json\tx'],
    ['a newline', 'https://bucket.example/job.json\nreboot'],
    ['another scheme', 'file:///etc/passwd'],
    ['no scheme', 'bucket.example/job.json'],
    ['nothing after the scheme', 'https://'],
    ['an empty string', ''],
  ])('refuses a URL with %s', (_what, url) => {
    expect(() => bootstrap(url, SHA)).toThrow(RemoteError);
    expect(() => bootstrap(url, SHA)).toThrow('bad job location');
  });

  it.each([
    ['too short', 'a'.repeat(63)],
    ['too long', 'a'.repeat(65)],
    ['upper case', 'A'.repeat(64)],
    ['not hex', 'g'.repeat(64)],
    ['a shell word', `${'a'.repeat(60)};ls `],
    ['empty', ''],
  ])('refuses a sha256 that is %s', (_what, sha) => {
    expect(() => bootstrap(URL, sha)).toThrow(new RemoteError('bad job location'));
  });

  it('never puts a refused value into its error', () => {
    const url = "https://bucket.example/secret-token?'";
    let message = '';
    try {
      bootstrap(url, SHA);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('bad job location');
  });
});

describe('runRemote', () => {
  it('signs the job URL again for each SendCommand, so the one in history was signed as it was sent', async () => {
    const sent: string[] = [];
    let signed = 0;
    const ssm = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'SendCommandCommand') {
          const input = command.input as { Parameters: { commands: string[] } };
          sent.push(input.Parameters.commands.join('\n'));
          if (sent.length < 3)
            throw Object.assign(new Error('not yet'), { name: 'InvalidInstanceId' }) as Error & { name: string };
          return { Command: { CommandId: 'c-1' } };
        }
        return { Status: 'Success', ResponseCode: 0, StandardOutputContent: 'done' };
      },
    };
    const outcome = await runRemote({ ssm, ec2: {} } as unknown as AwsClients, {
      instanceId: 'i-0123456789abcdef0',
      runId: 'r1',
      jobUrl: async () => `https://bucket.example/job.json?X-Amz-Expires=${JOB_URL_SECONDS}&n=${++signed}`,
      jobSha256: SHA,
      executionTimeoutSeconds: 60,
      onCommandId: () => {},
      sleep: async () => {},
    });
    expect(outcome).toMatchObject({ status: 'Success', responseCode: 0 });
    expect(signed).toBe(3);
    expect(sent.map((text) => /n=(\d)/.exec(text)?.[1])).toEqual(['1', '2', '3']);
    expect(JOB_URL_SECONDS).toBeLessThanOrEqual(900);
  });

  it('polls every 0.5 s for the first 10 s, then slows by 0.25 s a poll up to 5 s', () => {
    const waits = Array.from({ length: 60 }, (_, poll) => pollDelayMs(poll));
    expect(waits.slice(0, 20)).toEqual(Array(20).fill(500));
    expect(waits.slice(20, 23)).toEqual([750, 1000, 1250]);
    expect(Math.max(...waits)).toBe(5000);
    expect(waits.at(-1)).toBe(5000);
    // A publish of 10 minutes polls about 130 times, not 1,200.
    let polls = 0;
    for (let waited = 0; waited < 600_000; polls++) waited += pollDelayMs(polls);
    expect(polls).toBeLessThan(150);
  });
});
