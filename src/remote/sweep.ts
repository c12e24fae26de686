/**
 * mode: sweep — removes what runs left behind: the stack's instances (managed-by=efsync and efsync:stack=<stack>, the
 * only ones its role may terminate) whose expires-at has passed (a
 * warm instance's expires-at is its warm-until, or a later deadline of a run using it), and staged runs older than a
 * day in the staging bucket.
 */
import { paginateDescribeInstances, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { allPages, chunks, DESCRIBE_PAGE } from '../aws/pages.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { Stats, SyncResult } from '../core/result.js';
import { EXPIRES_AT, FILE_SYSTEM_TAG, stackFilters, WARM_UNTIL } from './instance/tags.js';
import { deleteRunObjects, listRunPrefixes } from './stage/run-objects.js';

const STALE_RUN_MS = 24 * 3600 * 1000;

export async function sweep(
  config: Config,
  clients: AwsClients,
  reporter: Reporter,
  stats: Stats,
  now = new Date(),
): Promise<SyncResult> {
  const { ec2, s3 } = clients;
  const lines: string[] = [];
  await reporter.group('Sweep', async () => {
    const filters = [
      ...stackFilters(config.fileSystem.stack),
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ...(config.fileSystem.id ? [{ Name: `tag:${FILE_SYSTEM_TAG}`, Values: [config.fileSystem.id] }] : []),
    ];
    const expired: string[] = [];
    const warm: string[] = [];
    const instances = await allPages(
      paginateDescribeInstances({ client: ec2, pageSize: DESCRIBE_PAGE }, { Filters: filters }),
      (page) => (page.Reservations ?? []).flatMap((r) => r.Instances ?? []),
    );
    for (const instance of instances) {
      const expiresAt = instance.Tags?.find((t) => t.Key === EXPIRES_AT)?.Value;
      const warmUntil = instance.Tags?.find((t) => t.Key === WARM_UNTIL)?.Value;
      if (instance.InstanceId && expiresAt && Date.parse(expiresAt) < now.getTime())
        (warmUntil ? warm : expired).push(instance.InstanceId);
    }
    // "Up to 1000 instance IDs" a call (TerminateInstances, InstanceIds, botocore's ec2 service-2.json).
    for (const some of chunks([...expired, ...warm], 1000))
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: some }));
    lines.push(
      expired.length
        ? `Terminated ${expired.length} expired instance(s): ${expired.join(', ')}.`
        : `No expired efsync instance of stack ${config.fileSystem.stack}.`,
    );
    if (warm.length)
      lines.push(`Terminated ${warm.length} warm instance(s) whose warm-until has passed: ${warm.join(', ')}.`);
    if (config.staging.bucket) {
      const runs = await listRunPrefixes(s3, config.staging.bucket, config.staging.prefix);
      const stale = runs.filter((run) => now.getTime() - run.lastModified.getTime() > STALE_RUN_MS);
      for (const run of stale)
        await deleteRunObjects(s3, config.staging.bucket, `${config.staging.prefix}runs/${run.runId}/`);
      lines.push(`Deleted ${stale.length} staged run(s) older than a day.`);
    }
    for (const line of lines) reporter.info(line);
  });
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
