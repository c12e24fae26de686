/**
 * The job summary: what each target now serves, what changed, where the time went, and the Lambda wiring to copy.
 * Bounded (one row per target, the plan cut to a few KiB), escaped, and never fatal.
 */
import * as core from '@actions/core';
import { errorMessage } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import type { SyncResult, TargetReport } from '../core/result.js';

const STATUS: Record<TargetReport['status'], string> = {
  published: '✅ published',
  unchanged: '⚪ unchanged',
  'rolled-back': '↩️ rolled back',
  planned: '📝 would publish',
};

/** The plan is printed in the log too; the summary keeps its beginning. */
const PLAN_MAX_CHARS = 8_000;

export async function writeSummary(result: SyncResult): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    const summary = core.summary.addHeading(escapeHtml(headline(result)), 2).addRaw(`<p>${lead(result)}</p>`, true);
    if (result.targets.length > 0) {
      const header = ['Target', 'Status', 'Added', 'Changed', 'Deleted', 'Release', 'Lambda path'].map((data) => ({
        data,
        header: true,
      }));
      summary.addTable([header, ...result.targets.map((target) => targetRow(result, target))]);
    }
    const facts = [
      timeLine(result),
      instanceLine(result),
      result.stats.bytes.uploaded ? `<b>Uploaded</b>: ${formatBytes(result.stats.bytes.uploaded)}` : '',
    ]
      .filter(Boolean)
      .join('. ');
    if (facts) summary.addRaw(`<p>${facts}.</p>`, true);
    const wiring = lambdaWiring(result);
    if (wiring) {
      const pip = result.paths.find((p) => p.kind === 'pip')?.lambdaPath;
      const pin = pip
        ? ' Or, instead of PYTHONPATH, pin the release once at start-up: ' +
          `<code>sys.path.insert(0, os.path.realpath(${escapeHtml(pythonString(pip))}))</code>.`
        : '';
      summary.addDetails(
        'Lambda wiring',
        '<p>For <code>aws lambda update-function-configuration --function-name NAME --cli-input-json</code> (the ' +
          'function must be in the VPC). <code>Environment</code> replaces all the function&#39;s variables: merge ' +
          `yours in.${pin}</p><pre lang="json">${escapeHtml(wiring)}</pre>`,
      );
    }
    if (result.plan.length > 0) summary.addDetails('Plan', `<pre>${escapeHtml(bounded(result.plan.join('\n')))}</pre>`);
    await summary.write();
  } catch (error) {
    core.warning(`The job summary could not be written: ${errorMessage(error)}`);
  }
}

const SOURCE_WORDS = { launched: 'launched', reused: 'a warm one reused', borrowed: 'your own (instance-id)' } as const;

/** What wrote: the writer function, or the instance the run launched, reused or borrowed, and until when it stays warm. */
function instanceLine(result: SyncResult): string {
  if (result.engine === 'lambda') return `<b>Engine</b>: the writer function ${escapeHtml(result.functionName ?? '')}`;
  if (!result.instanceId || !result.instanceSource) return '';
  const warm = result.warmUntil ? `, warm until ${escapeHtml(result.warmUntil)}` : '';
  return `<b>Instance</b>: ${SOURCE_WORDS[result.instanceSource]}${warm}`;
}

function headline(result: SyncResult): string {
  const count = (status: TargetReport['status']) => result.targets.filter((t) => t.status === status).length;
  const of = `of ${result.targets.length} target${result.targets.length === 1 ? '' : 's'}`;
  if (result.targets.length === 0) return 'efsync';
  if (count('rolled-back')) return `efsync: rolled back ${count('rolled-back')} ${of}`;
  if (count('planned')) return `efsync dry run: would publish ${count('planned')} ${of}`;
  if (count('published')) return `efsync: published ${count('published')} ${of}`;
  return 'efsync: up to date';
}

function lead(result: SyncResult): string {
  if (result.targets.length === 0) return 'Nothing to publish in this mode; see the plan below.';
  const through = result.instanceId ? ` through instance <code>${escapeHtml(result.instanceId)}</code>` : '';
  if (result.targets.some((t) => t.status === 'planned'))
    return 'Dry run: nothing was uploaded and no instance was launched. The table shows what a run would change.';
  if (result.targets.some((t) => t.status === 'rolled-back'))
    return `Each target listed as rolled back serves its previous release again${through}.`;
  if (result.changed)
    return `New releases were published to EFS${through} and switched in atomically; the previous ones are kept for rollback.`;
  return 'Nothing changed since the last publish, so no instance was launched.';
}

function targetRow(result: SyncResult, t: TargetReport): string[] {
  const path = result.paths.find((p) => p.target === t.target);
  const idle = t.status === 'unchanged';
  const count = (files: number, bytes: number) => (files ? `${files} (${formatBytes(bytes)})` : idle ? '–' : '0');
  const release = t.releaseId ? `<code>${escapeHtml(t.releaseId)}</code>` : '–';
  return [
    `<code>${escapeHtml(t.target)}</code>`,
    STATUS[t.status],
    count(t.files.added, t.bytes.added),
    count(t.files.changed, t.bytes.changed),
    count(t.files.deleted, t.bytes.deleted),
    t.status === 'planned' ? `serving ${release}` : release,
    `<code>${escapeHtml(path?.lambdaPath ?? '')}</code>`,
  ];
}

/** The phases that took time, and the total. */
function timeLine(result: SyncResult): string {
  const phases = Object.entries(result.stats.seconds).filter(([, s]) => s >= 0.05);
  if (phases.length === 0) return '';
  const total = phases.reduce((sum, [, s]) => sum + s, 0);
  const parts = phases.map(([phase, s]) => `${phase} ${s.toFixed(1)} s`).join(' · ');
  return `<b>Time</b>: ${total.toFixed(1)} s (${parts})`;
}

function pythonString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function bounded(text: string): string {
  return text.length <= PLAN_MAX_CHARS ? text : `${text.slice(0, PLAN_MAX_CHARS)}\n… (cut here; the log has all of it)`;
}

/** The function configuration that mounts the file system and puts the dependencies on the import path. */
export function lambdaWiring(result: SyncResult): string | undefined {
  if (result.paths.length === 0) return undefined;
  const pip = result.paths.find((p) => p.kind === 'pip');
  return JSON.stringify(
    {
      FileSystemConfigs: [
        { Arn: result.lambda.accessPointArn ?? '<your access point ARN>', LocalMountPath: result.lambda.mountPath },
      ],
      ...(pip && { Environment: { Variables: { PYTHONPATH: pip.lambdaPath } } }),
    },
    null,
    2,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
