import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { maskPresigned, presignedSecrets, presignGet } from '../../../src/remote/stage/presign.js';

// A session token with the characters that URL encoding changes (/, + and =), as STS tokens have.
const TOKEN = 'IQoJb3JpZ2luX2VjE/abc+def/ghi==';
const s3 = new S3Client({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: TOKEN },
});

describe('presignedSecrets', () => {
  it('gives the whole URL, its signature and its session token decoded and URL-encoded', async () => {
    const url = await presignGet(s3, 'bucket', 'runs/r1/job.json', 600);
    const signature = new URL(url).searchParams.get('X-Amz-Signature') ?? '';
    const forms = presignedSecrets(url);
    expect(url).toContain(encodeURIComponent(TOKEN));
    expect(forms).toEqual(expect.arrayContaining([url, signature, TOKEN, encodeURIComponent(TOKEN)]));
    expect(forms).not.toContain('');
  });

  it('masks each form through the reporter, so none of them reaches a log line', async () => {
    const url = await presignGet(s3, 'bucket', 'runs/r1/result.json', 600);
    const masked: string[] = [];
    maskPresigned(
      { info: () => {}, warning: () => {}, group: (_t, work) => work(), secret: (v) => masked.push(v) },
      url,
    );
    const line = `fetching ${url} token=${TOKEN} encoded=${encodeURIComponent(TOKEN)}`;
    // The runner replaces each masked value wherever it stands; longest first, as it would leave no part of any.
    const shown = [...masked].sort((a, b) => b.length - a.length).reduce((text, v) => text.replaceAll(v, '***'), line);
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain(encodeURIComponent(TOKEN));
    expect(shown).not.toContain(new URL(url).searchParams.get('X-Amz-Signature'));
  });
});
