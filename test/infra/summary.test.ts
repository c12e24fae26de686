// The job summary (src/action/summary.ts), written through GITHUB_STEP_SUMMARY as on a runner: a headline that says
// what happened, one row per target, the wiring to copy, everything escaped and bounded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { writeSummary } from '../../src/action/summary.ts';
import type { SyncResult, TargetReport } from '../../src/core/result.ts';

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-summary-')), 'summary.html');
const saved = process.env.GITHUB_STEP_SUMMARY;
beforeEach(() => {
  fs.writeFileSync(file, '');
  process.env.GITHUB_STEP_SUMMARY = file;
  core.summary.emptyBuffer();
});
afterAll(() => {
  if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  else process.env.GITHUB_STEP_SUMMARY = saved;
});

const counts = (added = 0, changed = 0, deleted = 0) => ({ added, changed, deleted });
function target(name: string, status: TargetReport['status'], kind: TargetReport['kind'] = 'local'): TargetReport {
  const busy = status !== 'unchanged';
  return {
    kind,
    target: name,
    status,
    releaseId: '20261124T101500Z-3f2a9c1b',
    files: busy ? counts(2, 1, 0) : counts(),
    bytes: busy ? counts(2048, 40, 0) : counts(),
  };
}
function result(targets: TargetReport[], extra: Partial<SyncResult> = {}): SyncResult {
  return {
    changed: targets.some((t) => t.status === 'published'),
    paths: targets.map((t) => ({
      kind: t.kind,
      target: t.target,
      lambdaPath: `/mnt/efs/${t.target}`,
      efsPath: `/lambda/${t.target}`,
    })),
    releaseIds: {},
    stats: {
      files: counts(2, 1, 0),
      bytes: { ...counts(2048, 40, 0), uploaded: 3072 },
      seconds: { plan: 1.2, stage: 0.3, instance: 41.5, remote: 6.2, cleanup: 0.01 },
    },
    targets,
    plan: ['models: +2 added'],
    lambda: { mountPath: '/mnt/efs', accessPointArn: 'arn:aws:elasticfilesystem:eu-central-1:1:access-point/fsap-1' },
    ...extra,
  };
}
async function summaryOf(r: SyncResult): Promise<string> {
  await writeSummary(r);
  return fs.readFileSync(file, 'utf8');
}

describe('the job summary', () => {
  it('says what was published, per target, with the time, the upload and the Lambda wiring', async () => {
    const text = await summaryOf(
      result([target('lib', 'unchanged', 'pip'), target('models', 'published')], { instanceId: 'i-0abc' }),
    );
    expect(text).toContain('<h2>efsync: published 1 of 2 targets</h2>');
    expect(text).toContain('through instance <code>i-0abc</code>');
    expect(text).toContain('<td><code>models</code></td><td>✅ published</td><td>2 (2.0 KiB)</td><td>1 (40 B)</td>');
    expect(text).toContain('<td><code>lib</code></td><td>⚪ unchanged</td><td>–</td>');
    // Phases that took no time are left out; the total comes first.
    expect(text).toContain('<b>Time</b>: 49.2 s (plan 1.2 s · stage 0.3 s · instance 41.5 s · remote 6.2 s)');
    expect(text).toContain('<b>Uploaded</b>: 3.0 KiB');
    expect(text).toContain('FileSystemConfigs');
    expect(text).toContain('PYTHONPATH');
    expect(text).toContain('sys.path.insert(0, os.path.realpath(&#39;/mnt/efs/lib&#39;))');
  });

  it('tells a dry run and a no-op apart from a publish', async () => {
    const dry = await summaryOf(result([target('models', 'planned')], { changed: false }));
    expect(dry).toContain('<h2>efsync dry run: would publish 1 of 1 target</h2>');
    expect(dry).toContain('📝 would publish');
    expect(dry).toContain('serving <code>20261124T101500Z-3f2a9c1b</code>');
    fs.writeFileSync(file, '');
    const stats = {
      files: counts(),
      bytes: { ...counts(), uploaded: 0 },
      seconds: { plan: 0.8 },
    } as SyncResult['stats'];
    const noop = await summaryOf(result([target('models', 'unchanged')], { stats }));
    expect(noop).toContain('<h2>efsync: up to date</h2>');
    expect(noop).toContain('no instance was launched');
    expect(noop).not.toContain('Uploaded');
    expect(noop).not.toContain('PYTHONPATH'); // no dependency target
  });

  it('has no empty table in sweep mode', async () => {
    const text = await summaryOf(result([], { plan: ['No expired efsync instance.'], paths: [] }));
    expect(text).not.toContain('<table>');
    expect(text).not.toContain('Lambda wiring');
    expect(text).toContain('No expired efsync instance.');
  });

  it('escapes what comes from the user and bounds the plan', async () => {
    const text = await summaryOf(
      result([target('<img src=x onerror=alert(1)>', 'published')], { plan: ['<b>x</b>'.repeat(5000)] }),
    );
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<b>x</b>');
    expect(text).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(text).toContain('cut here; the log has all of it');
    expect(text.length).toBeLessThan(60_000);
  });

  it('writes nothing without GITHUB_STEP_SUMMARY', async () => {
    delete process.env.GITHUB_STEP_SUMMARY;
    await writeSummary(result([target('models', 'published')]));
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });
});
