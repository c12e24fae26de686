/** A short job summary: what was published where. Bounded, escaped, and never fatal. */
import * as core from '@actions/core';
import type { SyncResult } from '../engine.js';

export async function writeSummary(result: SyncResult): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    const rows = result.paths.map((p) => [
      p.kind,
      escapeHtml(p.target),
      escapeHtml(p.lambdaPath),
      escapeHtml(p.efsPath),
    ]);
    await core.summary
      .addHeading('efsync', 2)
      .addRaw(result.changed ? 'Published a new release.' : 'Nothing was published.', true)
      .addTable([
        [
          { data: 'Source', header: true },
          { data: 'Target', header: true },
          { data: 'Lambda path', header: true },
          { data: 'EFS path', header: true },
        ],
        ...rows,
      ])
      .addDetails('Plan', `<pre>${escapeHtml(result.plan.join('\n'))}</pre>`)
      .write();
  } catch (error) {
    core.warning(`The job summary could not be written: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
