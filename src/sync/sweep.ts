/**
 * mode: sweep — removes what runs left behind: instances tagged managed-by=efsync whose expires-at has passed, and
 * staged runs older than a day in the staging bucket.
 */
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsContext, clientConfig } from '../aws/client-config.js';
import { tagErrors } from '../aws/errors.js';
import { MANAGED_BY } from '../aws/instance.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../report.js';
import { deleteRunObjects, listRunPrefixes } from '../stage/run-objects.js';
import type { Stats, SyncResult } from './result.js';

const STALE_RUN_MS = 24 * 3600 * 1000;

export async function sweep(
  config: Config,
  aws: AwsContext,
  reporter: Reporter,
  stats: Stats,
  now = new Date(),
): Promise<SyncResult> {
  const settings = clientConfig(aws);
  const ec2 = tagErrors(new EC2Client(settings), 'ec2');
  const lines: string[] = [];
  try {
    await reporter.group('Sweep', async () => {
      const filters = [
        { Name: `tag:${MANAGED_BY.Key}`, Values: [MANAGED_BY.Value] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ...(config.fileSystem.id ? [{ Name: 'tag:efsync:file-system-id', Values: [config.fileSystem.id] }] : []),
      ];
      const expired: string[] = [];
      let token: string | undefined;
      do {
        const page = await ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token }));
        for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          const expiresAt = instance.Tags?.find((t) => t.Key === 'expires-at')?.Value;
          if (instance.InstanceId && expiresAt && Date.parse(expiresAt) < now.getTime())
            expired.push(instance.InstanceId);
        }
        token = page.NextToken;
      } while (token);
      if (expired.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: expired }));
      lines.push(
        expired.length
          ? `Terminated ${expired.length} expired instance(s): ${expired.join(', ')}.`
          : 'No expired efsync instance.',
      );
      if (config.staging.bucket) {
        const s3 = tagErrors(new S3Client(settings), 's3');
        try {
          const runs = await listRunPrefixes(s3, config.staging.bucket, config.staging.prefix);
          const stale = runs.filter((run) => now.getTime() - run.lastModified.getTime() > STALE_RUN_MS);
          for (const run of stale)
            await deleteRunObjects(s3, config.staging.bucket, `${config.staging.prefix}runs/${run.runId}/`);
          lines.push(`Deleted ${stale.length} staged run(s) older than a day.`);
        } finally {
          s3.destroy();
        }
      }
      for (const line of lines) reporter.info(line);
    });
  } finally {
    ec2.destroy();
  }
  return {
    changed: false,
    paths: [],
    releaseIds: {},
    stats,
    targets: [],
    plan: lines,
    lambda: { mountPath: config.fileSystem.lambdaMountPath },
  };
}
