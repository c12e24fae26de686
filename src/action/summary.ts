/**
 * The job summary: what each target now serves, what changed, where the time went, and the Lambda wiring to copy.
 * Bounded (one row per target), escaped, and never fatal.
 */
import * as core from '@actions/core';
import { formatBytes } from '../sync/planning.js';
import type { SyncResult, TargetReport } from '../sync/result.js';

const STATUS: Record<TargetReport['status'], string> = {
  published: '✅ published',
  unchanged: '⏸️ unchanged',
  'rolled-back': '↩️ rolled back',
  planned: '📝 planned (dry run)',
};

export async function writeSummary(result: SyncResult): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    const count = (files: number, bytes: number) => (files ? `${files} (${formatBytes(bytes)})` : '0');
    const rows = result.targets.map((t) => {
      const path = result.paths.find((p) => p.target === t.target);
      return [
        `<code>${escapeHtml(t.target)}</code>`,
        STATUS[t.status],
        count(t.files.added, t.bytes.added),
        count(t.files.changed, t.bytes.changed),
        count(t.files.deleted, t.bytes.deleted),
        `<code>${escapeHtml(t.releaseId || '-')}</code>`,
        `<code>${escapeHtml(path?.lambdaPath ?? '')}</code>`,
      ];
    });
    const header = ['Target', 'Status', 'Added', 'Changed', 'Deleted', 'Release', 'Lambda path'].map((data) => ({
      data,
      header: true,
    }));
    const seconds = Object.entries(result.stats.seconds)
      .map(([phase, s]) => `${phase} ${s.toFixed(1)} s`)
      .join(' · ');
    const summary = core.summary
      .addHeading('efsync', 2)
      .addRaw(
        result.changed
          ? `Published to EFS${result.instanceId ? ` through <code>${escapeHtml(result.instanceId)}</code>` : ''}.`
          : 'Nothing was published: every target is up to date.',
        true,
      )
      .addTable([header, ...rows])
      .addRaw(`<p><b>Time</b>: ${seconds}. <b>Uploaded</b>: ${formatBytes(result.stats.bytes.uploaded)}.</p>`, true);
    const wiring = lambdaWiring(result);
    if (wiring) summary.addDetails('Lambda wiring', `<pre lang="json">${escapeHtml(wiring)}</pre>`);
    await summary.addDetails('Plan', `<pre>${escapeHtml(result.plan.join('\n'))}</pre>`).write();
  } catch (error) {
    core.warning(`The job summary could not be written: ${error instanceof Error ? error.message : String(error)}`);
  }
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
