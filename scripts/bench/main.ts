// npm run bench [-- --quick] [--runs N] [--cache-dir DIR] [--out FILE] [--no-model] [--no-baselines] [--help]
// npm run bench -- --only agent-memory [--files N]: the agent's peak RSS on a job of N (100,000) S3 objects alone.
// npm run bench -- --only import-time [--python P] [--runs N]: the import of 2,040 modules with and without .pyc.
// npm run bench -- --only warm [--quick] [--no-model]: c'. and d'. on a warm and on a borrowed instance alone (warm.ts).
// npm run bench -- --only lambda [--quick] [--no-model]: c-λ and d-λ on the writer function alone, with the cost table
// (lambda.ts, costs.ts).
//
// Runs the committed dist/ bundles against the local AWS test bed, as a runner would, for four scenarios (no-op,
// first publish, one-file change, dependency bump), measures baselines on the same data in the same run (aws s3
// sync up and down, sha256sum, cp -r), then runs the scenarios once more against a test bed with the AWS latency
// model for a modeled time on real AWS. c'. and d'. on a warm instance and on an instance of the user's own run on
// each test bed after the others (warm.ts), then c-λ and d-λ on the writer function, cold and warm (lambda.ts), and a
// cost table per publish at AWS's public prices (costs.ts, prices.ts). Prints one table and writes the same figures
// as JSON (docs/bench.md).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AWS_MODEL, type LatencyModel } from '../../testbed/latency.ts';
import { costTable } from './costs.ts';
import {
  bumpRequirements,
  changeOneFile,
  ensureDataset,
  FULL,
  listFiles,
  QUICK,
  writeRequirements,
} from './dataset.ts';
import { evaluateGoals } from './goals.ts';
import { formatImportTime, importTimeOnly, measureImportTime } from './import-time.ts';
import { lambdaSet, writerMemoryMiB } from './lambda.ts';
import { lambdaFloors } from './lambda-figures.ts';
import { modelLarge } from './large.ts';
import { medianOf, timeIt } from './measure.ts';
import { printReport, type Report, type ScenarioFigures, type ScenarioKey } from './report.ts';
import { type Bed, runScenario, startBed } from './run.ts';
import { warmSet } from './warm.ts';
import { warmFloors } from './warm-figures.ts';
import './src-hooks.ts';
import { clients } from '../../test/support/local-aws.ts';

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
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  // The usage is this file's first comment lines.
  const text = fs.readFileSync(import.meta.filename, 'utf8');
  process.stdout.write(`${text.slice(0, text.indexOf('\n//\n')).replaceAll('// ', '')}\n`);
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
/** The agent's peak memory on a job of many S3 objects in chunks (test/agent/memory.ts), as one line. */
async function agentMemory(): Promise<void> {
  const files = Number(args.files ?? 100_000);
  log(`agent memory: a job of ${files} S3 objects`);
  // Imported once src-hooks.ts is registered: it imports src/ files that import their siblings as `./x.js`.
  const { measureAgentMemory } = await import('../../test/agent/memory.ts');
  const run = await measureAgentMemory(files);
  if (run.code !== 0) throw new Error(`the agent failed (exit ${run.code}):\n${run.stdoutTail}`);
  const mb = (run.peakRssBytes / 1e6).toFixed(1);
  console.log(
    `agent-memory: peak RSS ${mb} MB for ${run.files} S3 objects in ${run.chunks} chunk(s), ${run.seconds.toFixed(0)} s` +
      ` (goal: under 256 MB) ${run.peakRssBytes < 256e6 ? 'met' : 'NOT MET'}`,
  );
}
if (args.only !== undefined && !['agent-memory', 'import-time', 'warm', 'lambda'].includes(args.only))
  throw new Error(`--only takes agent-memory, import-time, warm or lambda, not ${args.only}`);
if (args.only === 'import-time') {
  importTimeOnly(args, ROOT);
  process.exit(0);
}
const onlyWarm = args.only === 'warm';
const onlyLambda = args.only === 'lambda';
/** Only one of the sets that run once (warm, lambda): no scenario runs, baselines, import time or agent memory. */
const onlySet = onlyWarm || onlyLambda;
if (args.only === 'agent-memory') {
  await agentMemory();
  process.exit(0);
}

const spec = args.quick ? QUICK : FULL;
const runs = Number(args.runs ?? (args.quick ? 1 : 3));
const cacheDir = path.resolve(args['cache-dir'] ?? path.join(os.homedir(), '.cache', 'efsync-bench'));

const dataset = ensureDataset(cacheDir, spec, log);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-bench-'));
writeRequirements(dataset, '1.0');

/** b, a, c, d in that order on fresh targets: a first publish, then nothing, one file, one dependency. */
async function scenarioSet(bed: Bed, tag: string, model?: LatencyModel) {
  const targets = { lib: `lib-${tag}`, data: `data-${tag}` };
  const cold = path.join(scratch, `hash-cache-${tag}`);
  const out = {} as Record<ScenarioKey, ScenarioFigures>;
  log(`${tag}: b. first publish`);
  const run = (key: ScenarioKey) => runScenario(bed, { dataset, key, targets, hashCache: cold, model });
  out.first = await run('first');
  log(`${tag}: a. no-op`);
  out.noop = await run('noop');
  log(`${tag}: c. one-file change`);
  const changedBytes = changeOneFile(dataset);
  out.oneFile = { ...(await run('oneFile')), changedFileBytes: changedBytes };
  log(`${tag}: d. dependency bump`);
  bumpRequirements(dataset);
  out.deps = await run('deps');
  return out;
}

/**
 * The AWS CLI as the person who runs a baseline by hand: with the bed's administrator key, not the action role's
 * (bed.env), whose policy allows only what the action does.
 */
function aws(bed: Bed, argv: string[]): void {
  const admin = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
  execFileSync('aws', ['--endpoint-url', bed.aws.info.endpoint, ...argv], {
    env: { ...process.env, ...bed.env, ...admin, AWS_DEFAULT_REGION: bed.aws.info.region },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function baselines(bed: Bed, rep: number) {
  const { walkLocal } = await import('../../src/plan/local.ts');
  const { stageParts } = await import('../../src/remote/stage/parts.ts');
  const { s3 } = clients(bed.aws);
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
  runs: onlySet ? 1 : runs,
  perRun: [],
  latencyModel: AWS_MODEL,
  goals: [],
};

let bed: Bed | undefined;
try {
  log(
    `data set ${spec.name}: ${(dataset.bytes.total / 1e9).toFixed(2)} GB in ${dataset.workspace}; ${report.runs} run(s)`,
  );
  bed = await startBed([]);
  const baseRuns: Awaited<ReturnType<typeof baselines>>[] = [];
  for (let rep = 0; rep < (onlySet ? 0 : runs); rep++) {
    report.perRun.push(await scenarioSet(bed, `r${rep}`));
    if (!args['no-baselines']) {
      log(`r${rep}: baselines`);
      baseRuns.push(await baselines(bed, rep));
    }
  }
  if (report.perRun.length) report.scenarios = medianOf(report.perRun);
  if (baseRuns.length) report.baselines = medianOf(baseRuns);
  if (!onlyLambda) report.warm = { local: await warmSet(bed, dataset, scratch, 'warm', log) };
  if (!onlyWarm) {
    const memoryMiB = await writerMemoryMiB(bed);
    report.lambda = { memoryMiB, local: await lambdaSet(bed, dataset, scratch, 'lambda', log) };
  }
  await bed.aws.stop();
  bed = undefined;

  if (!args['no-model']) {
    log('modeled run on the test bed with --latency aws');
    bed = await startBed(['--latency', 'aws']);
    if (!onlySet) {
      report.modeled = await scenarioSet(bed, 'model', AWS_MODEL);
      report.large = modelLarge(report.modeled.first, AWS_MODEL);
    }
    if (report.warm) {
      const modeled = await warmSet(bed, dataset, scratch, 'warm-model', log, AWS_MODEL);
      Object.assign(report.warm, { modeled, floors: warmFloors(modeled, AWS_MODEL) });
    }
    if (report.lambda) {
      const modeled = await lambdaSet(bed, dataset, scratch, 'lambda-model', log, AWS_MODEL);
      Object.assign(report.lambda, { modeled, floors: lambdaFloors(modeled, AWS_MODEL) });
    }
    await bed.aws.stop();
    bed = undefined;
  }
  const outFile = path.resolve(
    args.out ?? path.join(ROOT, 'bench-results', `${spec.name}-${report.date.replace(/[:.]/g, '-')}.json`),
  );
  if (report.lambda) report.costs = costTable(report.lambda, AWS_MODEL);
  if (!onlySet) report.importTime = measureImportTime(args.python);
  report.goals = evaluateGoals(report);
  printReport(report);
  if (report.importTime) console.log(formatImportTime(report.importTime));
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`figures written to ${path.relative(process.cwd(), outFile)}`);
  if (!onlySet) await agentMemory();
} finally {
  await bed?.aws.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
