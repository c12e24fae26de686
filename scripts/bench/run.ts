// One run of the action as the bench runs it (main, then post, as a runner would), on a local AWS test bed, with
// everything the bench reads around it: the request log, the EFS directory's inodes, the hash cache and the outputs.
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandFile, runBundle } from '../../test/support/run-action.ts';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { efsSeconds, type LatencyModel } from '../../testbed/latency.ts';
import type { Dataset } from './dataset.ts';
import {
  agentCounts,
  billingOf,
  countCalls,
  efsDelta,
  hashedDelta,
  snapshotEfs,
  snapshotHashCache,
  timeIt,
} from './measure.ts';
import type { ScenarioFigures } from './report.ts';

export interface Bed {
  aws: LocalAws;
  seq: number;
  efsDir: string;
  env: Record<string, string>;
}

export async function startBed(extra: string[]): Promise<Bed> {
  const aws = await startLocalAws(extra);
  // The bench measures speed, not quotas: a warm instance, an instance of your own and a large run's type may run at
  // once, past AWS's default Standard quota of 5 vCPUs (testbed/quotas.ts), so this account has raised it.
  await aws.settings({ vcpuQuotas: { standard: 64 } });
  const entries = await aws.log();
  return {
    aws,
    seq: entries.at(-1)?.seq ?? 0,
    efsDir: path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId),
    env: aws.env,
  };
}

export async function drainLog(bed: Bed) {
  // The bench blocks while a step runs, so a kept-alive connection to the control endpoint may be stale: retry.
  const entries = await bed.aws.log(bed.seq).catch(() => bed.aws.log(bed.seq));
  bed.seq = entries.at(-1)?.seq ?? bed.seq;
  return entries;
}

export interface ScenarioRun {
  dataset: Dataset;
  /** Named in an error. */
  key: string;
  targets: { lib: string; data: string };
  hashCache: string;
  model?: LatencyModel | undefined;
  /** Inputs added to the bench's own (keep-warm, instance-id). */
  inputs?: Record<string, string>;
  /** The instance-source the run should have: when it has another, the bench logs the action's instance lines. */
  source?: string;
}

/** One run of the action (main, then post), with everything the bench reads around it. */
export async function runScenario(bed: Bed, run: ScenarioRun): Promise<ScenarioFigures> {
  const { info } = bed.aws;
  const { dataset, targets, model } = run;
  await drainLog(bed);
  const efsBefore = snapshotEfs(bed.efsDir);
  const cacheBefore = snapshotHashCache(run.hashCache);
  const env = {
    ...bed.env,
    GITHUB_WORKSPACE: dataset.workspace,
    GITHUB_REPOSITORY: 'efsync-test/efsync-bench',
    EFSYNC_HASH_CACHE: run.hashCache,
  };
  const inputs = {
    'aws-region': info.region,
    'file-system-id': info.fileSystemId,
    'staging-bucket': info.stagingBucket,
    'instance-type': 't3.small',
    'security-group-ids': info.instanceSecurityGroupId,
    requirements: dataset.requirements,
    'python-version': '3.12',
    'pip-args': `--no-index --find-links ${dataset.wheelsDir}`,
    'pip-target': targets.lib,
    'local-dir': dataset.localDir,
    'local-target': targets.data,
    ...run.inputs,
  };
  const main = await timeIt(() => runBundle('main', inputs, env));
  const state = Object.fromEntries(
    Object.entries(parseCommandFile(main.value.state)).map(([k, v]) => [`STATE_${k}`, v]),
  );
  const post = await timeIt(() => runBundle('post', {}, { ...env, ...state }));
  for (const step of [main.value, post.value]) fs.rmSync(step.dir, { recursive: true, force: true });
  if (main.value.status !== 0) {
    throw new Error(
      `${run.key}: the action failed (exit ${main.value.status}):\n${main.value.stdout.slice(-3000)}\n${main.value.stderr.slice(-2000)}`,
    );
  }
  const outputs = parseCommandFile(main.value.output);
  if (run.source && outputs['instance-source'] !== run.source) {
    const lines = main.value.stdout.split('\n').filter((line) => /\binstance\b/i.test(line));
    process.stderr.write(
      `bench: ${run.key}: instance ${outputs['instance-source']}, not ${run.source}:\n${lines.join('\n')}\n`,
    );
  }
  const stats = JSON.parse(outputs.stats ?? '{}') as {
    seconds: Record<string, number>;
    bytes: { uploaded: number; added: number; changed: number };
    files: { added: number; changed: number };
  };
  const entries = await drainLog(bed);
  const calls = countCalls(entries);
  const efs = efsDelta(efsBefore, snapshotEfs(bed.efsDir));
  const hashed = hashedDelta(cacheBefore, snapshotHashCache(run.hashCache));
  const agent = agentCounts(main.value.stdout);
  const efsModel = model ? efsSeconds(model, { ...efs, filesLinked: efs.linksMade }) : 0;
  return {
    wallSeconds: main.seconds,
    postSeconds: post.seconds,
    phases: {
      plan: stats.seconds.plan ?? 0,
      stage: stats.seconds.stage ?? 0,
      instance: stats.seconds.instance ?? 0,
      remote: stats.seconds.remote ?? 0,
      cleanup: stats.seconds.cleanup ?? 0,
    },
    awsCalls: calls.calls,
    callsByService: calls.byService,
    instancesLaunched: calls.instancesLaunched,
    ...(outputs['instance-source'] && { instanceSource: outputs['instance-source'] }),
    ...(outputs.engine && { engine: outputs.engine }),
    billing: billingOf(entries),
    bytesHashed: hashed.bytes,
    filesHashed: hashed.files,
    bytesUploaded: stats.bytes.uploaded,
    bytesChanged: stats.bytes.added + stats.bytes.changed,
    filesChanged: stats.files.added + stats.files.changed,
    efsBytesWritten: efs.bytesWritten,
    efsFilesWritten: efs.filesWritten,
    efsLinksMade: efs.linksMade,
    agentFilesWritten: agent.filesWritten,
    agentFilesLinked: agent.filesLinked,
    efsModelSeconds: efsModel,
    ...(model && { modeledSeconds: main.seconds + efsModel }),
  };
}
