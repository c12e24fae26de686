// npm run bench [-- --quick] [--runs N] [--cache-dir DIR] [--out FILE] [--no-model] [--no-baselines]
// npm run bench -- --only agent-memory [--files N]: the agent's peak RSS on a job of N (100,000) S3 objects alone.
// npm run bench -- --only import-time [--python P] [--runs N]: the import of 2,040 modules with and without .pyc.
//
// Runs the committed dist/ bundles against the local AWS test bed, as a runner would, for four scenarios (no-op,
// first publish, one-file change, dependency bump), measures baselines on the same data in the same run (aws s3
// sync up and down, sha256sum, cp -r), then runs the scenarios once more against a test bed with the AWS latency
// model for a modeled time on real AWS. Prints one table and writes the same figures as JSON (docs/bench.md).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { measureAgentMemory } from '../../test/agent/memory.ts';
import { type LocalAws, startLocalAws } from '../../test/local-aws/client.ts';
import { AWS_MODEL, efsSeconds, type LatencyModel } from '../../test/local-aws/latency.ts';
import { parseCommandFile, runBundle } from '../../test/support/run-action.ts';
import { changeOneFile, ensureDataset, FULL, listFiles, QUICK, writeRequirements } from './dataset.ts';
import { formatImportTime, importTimeOnly, measureImportTime } from './import-time.ts';
import { modelLarge } from './large.ts';
import {
  agentCounts,
  countCalls,
  efsDelta,
  hashedDelta,
  medianOf,
  snapshotEfs,
  snapshotHashCache,
  timeIt,
} from './measure.ts';
import { evaluateGoals, printReport, type Report, type ScenarioFigures, type ScenarioKey } from './report.ts';
import './src-hooks.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'cache-dir': { type: 'string' },
    out: { type: 'string' },
    'no-model': { type: 'boolean', default: false },
    'no-baselines': { type: 'boolean', default: false },
    only: { type: 'string' },
    files: { type: 'string' },
    python: { type: 'string' },
  },
});
/** The agent's peak memory on a job of many S3 objects in chunks (test/agent/memory.ts), as one line. */
async function agentMemory(): Promise<void> {
  const files = Number(args.files ?? 100_000);
  log(`agent memory: a job of ${files} S3 objects`);
  const run = await measureAgentMemory(files);
  if (run.code !== 0) throw new Error(`the agent failed (exit ${run.code}):\n${run.stdoutTail}`);
  const mb = (run.peakRssBytes / 1e6).toFixed(1);
  console.log(
    `agent-memory: peak RSS ${mb} MB for ${run.files} S3 objects in ${run.chunks} chunk(s), ${run.seconds.toFixed(0)} s` +
      ` (goal: under 256 MB) ${run.peakRssBytes < 256e6 ? 'met' : 'NOT MET'}`,
  );
}
if (args.only !== undefined && args.only !== 'agent-memory' && args.only !== 'import-time')
  throw new Error(`--only takes agent-memory or import-time, not ${args.only}`);
if (args.only === 'import-time') {
  importTimeOnly(args, ROOT);
  process.exit(0);
}
if (args.only === 'agent-memory') {
  await agentMemory();
  process.exit(0);
}

const spec = args.quick ? QUICK : FULL;
const runs = Number(args.runs ?? (args.quick ? 1 : 3));
const cacheDir = path.resolve(args['cache-dir'] ?? path.join(os.homedir(), '.cache', 'efsync-bench'));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const dataset = ensureDataset(cacheDir, spec, log);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-bench-'));
let requirementsVersion = '1.0';
writeRequirements(dataset, requirementsVersion);

interface Bed {
  aws: LocalAws;
  seq: number;
  efsDir: string;
  env: Record<string, string>;
}

async function startBed(extra: string[]): Promise<Bed> {
  const aws = await startLocalAws(extra);
  const entries = await aws.log();
  return {
    aws,
    seq: entries.at(-1)?.seq ?? 0,
    efsDir: path.join(aws.info.stateDir, 'efs', aws.info.fileSystemId),
    env: aws.env,
  };
}

async function drainLog(bed: Bed) {
  // The bench blocks while a step runs, so a kept-alive connection to the control endpoint may be stale: retry.
  const entries = await bed.aws.log(bed.seq).catch(() => bed.aws.log(bed.seq));
  bed.seq = entries.at(-1)?.seq ?? bed.seq;
  return entries;
}

/** One run of the action (main, then post), with everything the bench reads around it. */
async function runScenario(
  bed: Bed,
  key: ScenarioKey,
  targets: { lib: string; data: string },
  hashCache: string,
  model?: LatencyModel,
): Promise<ScenarioFigures> {
  const { info } = bed.aws;
  await drainLog(bed);
  const efsBefore = snapshotEfs(bed.efsDir);
  const cacheBefore = snapshotHashCache(hashCache);
  const env = {
    ...bed.env,
    GITHUB_WORKSPACE: dataset.workspace,
    GITHUB_REPOSITORY: 'efsync-test/efsync-bench',
    EFSYNC_HASH_CACHE: hashCache,
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
  };
  const main = await timeIt(() => runBundle('main', inputs, env));
  const state = Object.fromEntries(
    Object.entries(parseCommandFile(main.value.state)).map(([k, v]) => [`STATE_${k}`, v]),
  );
  const post = await timeIt(() => runBundle('post', {}, { ...env, ...state }));
  for (const step of [main.value, post.value]) fs.rmSync(step.dir, { recursive: true, force: true });
  if (main.value.status !== 0) {
    throw new Error(
      `${key}: the action failed (exit ${main.value.status}):\n${main.value.stdout.slice(-3000)}\n${main.value.stderr.slice(-2000)}`,
    );
  }
  const outputs = parseCommandFile(main.value.output);
  const stats = JSON.parse(outputs.stats ?? '{}') as {
    seconds: Record<string, number>;
    bytes: { uploaded: number; added: number; changed: number };
    files: { added: number; changed: number };
  };
  const calls = countCalls(await drainLog(bed));
  const efs = efsDelta(efsBefore, snapshotEfs(bed.efsDir));
  const hashed = hashedDelta(cacheBefore, snapshotHashCache(hashCache));
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

/** b, a, c, d in that order on fresh targets: a first publish, then nothing, one file, one dependency. */
async function scenarioSet(bed: Bed, tag: string, model?: LatencyModel) {
  const targets = { lib: `lib-${tag}`, data: `data-${tag}` };
  const cold = path.join(scratch, `hash-cache-${tag}`);
  const out = {} as Record<ScenarioKey, ScenarioFigures>;
  log(`${tag}: b. first publish`);
  out.first = await runScenario(bed, 'first', targets, cold, model);
  log(`${tag}: a. no-op`);
  out.noop = await runScenario(bed, 'noop', targets, cold, model);
  log(`${tag}: c. one-file change`);
  const changedBytes = changeOneFile(dataset);
  out.oneFile = { ...(await runScenario(bed, 'oneFile', targets, cold, model)), changedFileBytes: changedBytes };
  log(`${tag}: d. dependency bump`);
  requirementsVersion = requirementsVersion === '1.0' ? '1.1' : '1.0';
  writeRequirements(dataset, requirementsVersion);
  out.deps = await runScenario(bed, 'deps', targets, cold, model);
  return out;
}

function aws(bed: Bed, argv: string[]): void {
  execFileSync('aws', ['--endpoint-url', bed.aws.info.endpoint, ...argv], {
    env: { ...process.env, ...bed.env, AWS_DEFAULT_REGION: bed.aws.info.region },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function baselines(bed: Bed, rep: number) {
  const { walkLocal } = await import('../../src/plan/local.ts');
  const { stageParts } = await import('../../src/stage/parts.ts');
  const s3 = new S3Client({
    endpoint: bed.aws.info.endpoint,
    region: bed.aws.info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const bucket = bed.aws.info.stagingBucket;
  const dataRoot = path.join(dataset.workspace, dataset.localDir);
  const files = listFiles(dataRoot);
  try {
    // Hashing: the plan's walk with no cache, against sha256sum over the same files (one process, as usual).
    const saved = process.env.EFSYNC_HASH_CACHE;
    process.env.EFSYNC_HASH_CACHE = 'off';
    const walked = await timeIt(() => walkLocal(dataRoot));
    if (saved === undefined) delete process.env.EFSYNC_HASH_CACHE;
    else process.env.EFSYNC_HASH_CACHE = saved;
    const sha = await timeIt(() =>
      execFileSync('bash', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: dataRoot }),
    );
    // The physical limit: cp -r of the tree on this disk.
    const copyTo = path.join(scratch, `cp-${rep}`);
    const cp = await timeIt(() => execFileSync('cp', ['-r', dataRoot, copyTo]));
    fs.rmSync(copyTo, { recursive: true, force: true });

    const half = async (name: 'small' | 'large') => {
      const root = path.join(dataRoot, name);
      const tree = walked.value.files.filter((f) => f.path.startsWith(`${name}/`));
      const stage = await timeIt(() =>
        stageParts(s3, {
          bucket,
          runPrefix: `bench/stage-${name}-${rep}/`,
          inputs: [{ target: name, root: dataRoot, files: tree }],
        }),
      );
      const up = await timeIt(() =>
        aws(bed, ['s3', 'sync', '--quiet', root, `s3://${bucket}/bench/sync-${name}-${rep}/`]),
      );
      const into = path.join(scratch, `down-${name}-${rep}`);
      const down = await timeIt(() =>
        aws(bed, ['s3', 'sync', '--quiet', `s3://${bucket}/bench/sync-${name}-${rep}/`, into]),
      );
      fs.rmSync(into, { recursive: true, force: true });
      return { stageSeconds: stage.seconds, awsSyncUpSeconds: up.seconds, awsSyncDownSeconds: down.seconds };
    };
    const small = await half('small');
    const large = await half('large');
    aws(bed, ['s3', 'rm', '--quiet', '--recursive', `s3://${bucket}/bench/`]);
    const bytes = dataset.bytes.total;
    return {
      hashSeconds: walked.seconds,
      sha256sumSeconds: sha.seconds,
      hashMBps: bytes / 1e6 / walked.seconds,
      sha256sumMBps: bytes / 1e6 / sha.seconds,
      cpSeconds: cp.seconds,
      small,
      large,
      files: files.length,
    };
  } finally {
    s3.destroy();
  }
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    cpu,
    node: process.version,
    kernel: os.release(),
  };
}

const report: Report = {
  version: 1,
  date: new Date().toISOString(),
  machine: machine(),
  dataset: {
    name: spec.name,
    spec,
    bytes: dataset.bytes,
    files: dataset.files,
    wheels: spec.wheels,
    workspace: dataset.workspace,
  },
  runs,
  scenarios: {} as Report['scenarios'],
  perRun: [],
  latencyModel: AWS_MODEL,
  goals: [],
};

let bed: Bed | undefined;
try {
  log(`data set ${spec.name}: ${(dataset.bytes.total / 1e9).toFixed(2)} GB in ${dataset.workspace}; ${runs} run(s)`);
  bed = await startBed([]);
  const baseRuns: Awaited<ReturnType<typeof baselines>>[] = [];
  for (let rep = 0; rep < runs; rep++) {
    report.perRun.push(await scenarioSet(bed, `r${rep}`));
    if (!args['no-baselines']) {
      log(`r${rep}: baselines`);
      baseRuns.push(await baselines(bed, rep));
    }
  }
  report.scenarios = medianOf(report.perRun);
  if (baseRuns.length) report.baselines = medianOf(baseRuns);
  await bed.aws.stop();
  bed = undefined;

  if (!args['no-model']) {
    log('modeled run on the test bed with --latency aws');
    bed = await startBed(['--latency', 'aws']);
    report.modeled = await scenarioSet(bed, 'model', AWS_MODEL);
    report.large = modelLarge(report.modeled.first, AWS_MODEL);
    await bed.aws.stop();
    bed = undefined;
  }
  const outFile = path.resolve(
    args.out ?? path.join(ROOT, 'bench-results', `${spec.name}-${report.date.replace(/[:.]/g, '-')}.json`),
  );
  report.importTime = measureImportTime(args.python);
  report.goals = evaluateGoals(report);
  printReport(report);
  console.log(formatImportTime(report.importTime));
  await agentMemory();
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`figures written to ${path.relative(process.cwd(), outFile)}`);
} finally {
  await bed?.aws.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
