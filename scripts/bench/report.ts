// The bench's figures (the JSON file's shape, described in docs/bench.md), its goals, and the printed table.
import type { LatencyModel } from '../../testbed/latency.ts';
import { type CostTable, costRows, priceLines } from './costs.ts';
import type { DatasetSpec } from './dataset.ts';
import { mb, phaseCells, phaseHeaders, s, table, x } from './format.ts';
import type { ImportTime } from './import-time.ts';
import { type LambdaReport, lambdaLocalRows, lambdaModeledRows } from './lambda-figures.ts';
import type { LargeRow } from './large.ts';
import type { Billing } from './measure.ts';
import { localRows, modeledRows, type WarmReport } from './warm-figures.ts';

export type ScenarioKey = 'noop' | 'first' | 'oneFile' | 'deps';
export const SCENARIOS: [ScenarioKey, string][] = [
  ['noop', 'a. no-op'],
  ['first', 'b. first publish'],
  ['oneFile', 'c. one-file change'],
  ['deps', 'd. dependency bump'],
];

export interface ScenarioFigures {
  /** The main step, as the runner runs it. */
  wallSeconds: number;
  postSeconds: number;
  phases: { plan: number; stage: number; instance: number; remote: number; cleanup: number };
  awsCalls: number;
  callsByService: Record<string, number>;
  instancesLaunched: number;
  bytesHashed: number;
  filesHashed: number;
  /** Tar bytes staged (the action's stats.bytes.uploaded). */
  bytesUploaded: number;
  bytesChanged: number;
  filesChanged: number;
  efsBytesWritten: number;
  efsFilesWritten: number;
  efsLinksMade: number;
  agentFilesWritten: number;
  agentFilesLinked: number;
  efsModelSeconds: number;
  modeledSeconds?: number;
  /** The action's instance-source output: launched, reused or borrowed (absent when no instance was needed). */
  instanceSource?: string;
  /** The action's engine output: instance or lambda (absent when nothing was written). */
  engine?: string;
  /** What AWS would bill the run for (costs.ts), from the request log. */
  billing?: Billing;
  changedFileBytes?: number;
}

interface HalfBaseline {
  stageSeconds: number;
  awsSyncUpSeconds: number;
  awsSyncDownSeconds: number;
}

export interface Report {
  version: 1;
  date: string;
  machine: { nproc: number; memoryGiB: number; cpu: string; node: string; kernel: string };
  dataset: {
    name: string;
    spec: DatasetSpec;
    bytes: { small: number; large: number; total: number };
    files: { small: number; large: number };
    wheels: number;
    workspace: string;
  };
  runs: number;
  /** Absent with --only warm. */
  scenarios?: Record<ScenarioKey, ScenarioFigures>;
  perRun: Record<ScenarioKey, ScenarioFigures>[];
  baselines?: {
    hashSeconds: number;
    sha256sumSeconds: number;
    hashMBps: number;
    sha256sumMBps: number;
    cpSeconds: number;
    small: HalfBaseline;
    large: HalfBaseline;
    files: number;
  };
  modeled?: Record<ScenarioKey, ScenarioFigures>;
  /** e. large first publish, modeled from b. (large.ts). */
  large?: LargeRow[];
  /** c'. and d'. on a warm instance and on instance-id (warm.ts, warm-figures.ts). */
  warm?: WarmReport;
  /** c-λ and d-λ on the writer function (lambda.ts, lambda-figures.ts). */
  lambda?: LambdaReport;
  /** The cost of a publish on each engine at AWS's public prices (costs.ts, prices.ts). */
  costs?: CostTable;
  latencyModel: LatencyModel;
  goals: { goal: string; met: boolean | null; figures: string }[];
  /** The import-time scenario (import-time.ts): 2,040 modules imported with and without unchecked-hash .pyc. */
  importTime?: ImportTime;
}

/** efsync's published figures (research/efsync.md, "Figures"). */
const EFSYNC: Record<ScenarioKey, string> = {
  noop: '≈ 3 min (no no-op)',
  first: '≈ 6 min',
  oneFile: '3–3.5 min',
  deps: '≈ 6 min',
};

export function renderReport(r: Report): string {
  const out: string[] = [];
  const d = r.dataset;
  out.push(
    `efsync bench, ${d.name} data set: ${mb(d.bytes.total)} (${d.files.large} × ${mb(d.spec.largeBytes)} + ` +
      `${d.files.small} files of ${mb(d.spec.smallMin)}–${mb(d.spec.smallMax)}) + ${d.wheels} wheels; ` +
      `median of ${r.runs} run(s); ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
  );
  out.push(`machine: ${r.machine.cpu}, nproc ${r.machine.nproc}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`);
  const sc = r.scenarios;
  if (sc) out.push('', 'Local test bed (moto), seconds; sizes in bytes of data');
  if (sc)
    out.push(
      table([
        [
          'scenario',
          ...phaseHeaders('wall'),
          'AWS calls',
          'instances',
          'hashed',
          'uploaded',
          'EFS written',
          'files written',
          'links',
        ],
        ...SCENARIOS.map(([key, label]) => {
          const f = sc[key];
          return [
            label,
            ...phaseCells(f),
            String(Math.round(f.awsCalls)),
            String(Math.round(f.instancesLaunched)),
            mb(f.bytesHashed),
            mb(f.bytesUploaded),
            mb(f.efsBytesWritten),
            String(Math.round(f.agentFilesWritten)),
            String(Math.round(f.agentFilesLinked)),
          ];
        }),
      ]),
    );
  const b = r.baselines;
  if (b && sc) {
    const first = sc.first;
    out.push('');
    out.push('Baselines, same data, same test bed (ratio = baseline time / efsync time; > 1 means efsync is faster)');
    out.push(
      table([
        ['what', 'efsync', 'baseline', 'ratio'],
        [
          `staging ${d.files.small} small files vs aws s3 sync`,
          `${s(b.small.stageSeconds)} s`,
          `${s(b.small.awsSyncUpSeconds)} s`,
          x(b.small.awsSyncUpSeconds / b.small.stageSeconds),
        ],
        [
          `staging ${d.files.large} large files vs aws s3 sync`,
          `${s(b.large.stageSeconds)} s`,
          `${s(b.large.awsSyncUpSeconds)} s`,
          x(b.large.awsSyncUpSeconds / b.large.stageSeconds),
        ],
        [
          'first publish: stage phase vs aws s3 sync up (whole tree)',
          `${s(first.phases.stage)} s`,
          `${s(b.small.awsSyncUpSeconds + b.large.awsSyncUpSeconds)} s`,
          x((b.small.awsSyncUpSeconds + b.large.awsSyncUpSeconds) / first.phases.stage),
        ],
        [
          'first publish: remote apply vs aws s3 sync down into an empty dir',
          `${s(first.phases.remote)} s`,
          `${s(b.small.awsSyncDownSeconds + b.large.awsSyncDownSeconds)} s`,
          x((b.small.awsSyncDownSeconds + b.large.awsSyncDownSeconds) / first.phases.remote),
        ],
        [
          'hashing (no cache) vs sha256sum',
          `${b.hashMBps.toFixed(0)} MB/s`,
          `${b.sha256sumMBps.toFixed(0)} MB/s`,
          x(b.hashMBps / b.sha256sumMBps),
        ],
        [
          'physical limit: cp -r of the tree',
          '–',
          `${s(b.cpSeconds)} s (${(d.bytes.total / 1e6 / b.cpSeconds).toFixed(0)} MB/s)`,
          '–',
        ],
      ]),
    );
  }
  const m = r.modeled;
  if (m) {
    const l = r.latencyModel;
    out.push('');
    out.push(
      `Modeled on real AWS (test bed --latency ${l.name}: running after ${l.runningAfterMs / 1000} s, SSM Online ` +
        `${l.onlineAfterRunningMs / 1000} s later, S3 ${l.s3MiBps} MiB/s per connection / ${l.s3TotalMiBps} MiB/s ` +
        `in all, EFS ${l.efsMiBps} MiB/s + ${l.efsOpMs} ms per NFS op; one run)`,
    );
    out.push(
      table([
        ['scenario', 'modeled', 'plan', 'stage', 'instance', 'remote', 'EFS model', 'instances', 'efsync (2020)'],
        ...SCENARIOS.map(([key, label]) => {
          const f = m[key];
          return [
            label,
            `${s(f.modeledSeconds)} s`,
            s(f.phases.plan),
            s(f.phases.stage),
            s(f.phases.instance),
            s(f.phases.remote),
            s(f.efsModelSeconds),
            String(f.instancesLaunched),
            EFSYNC[key],
          ];
        }),
      ]),
    );
  }
  if (r.large?.length) {
    out.push('');
    out.push(
      'e. large first publish, modeled: type from instance-type auto, transfer at its baseline (EFS cap 1,500 MiB/s)',
    );
    out.push(
      table([
        ['bytes', 'type', 'baseline', 'bytes / bandwidth', 'floor', 'modeled', 'modeled / floor'],
        ...r.large.map((row) => [
          mb(row.bytes),
          row.type,
          `${row.baselineGbps} Gbps`,
          `${s(row.transferSeconds)} s`,
          `${s(row.floorSeconds)} s`,
          `${s(row.modeledSeconds)} s`,
          x(row.modeledSeconds / row.floorSeconds),
        ]),
      ]),
    );
  }
  const w = r.warm;
  if (w) {
    out.push('', "c'. and d'. on a warm instance (keep-warm) and on instance-id, local test bed; one run");
    out.push(table(localRows(w.local)));
  }
  if (w?.modeled) {
    out.push(
      '',
      `The same, modeled on real AWS (--latency ${r.latencyModel.name}); floor = plan + stage + SSM delivery + transfer`,
    );
    out.push(table(modeledRows(w.modeled, r.latencyModel)));
  }
  out.push(...lambdaSection(r));
  out.push('');
  out.push('Goals');
  for (const g of r.goals)
    out.push(`  ${g.met === null ? '?' : g.met ? 'met    ' : 'NOT met'}  ${g.goal}: ${g.figures}`);
  return out.join('\n');
}

function lambdaSection(r: Report): string[] {
  const out: string[] = [];
  const l = r.lambda;
  if (l) {
    out.push('', `c-λ and d-λ on the writer function (engine lambda, ${l.memoryMiB} MB), local test bed; one run`);
    out.push(table(lambdaLocalRows(l.local)));
  }
  if (l?.modeled) {
    const m = r.latencyModel;
    out.push(
      '',
      `The same, modeled on real AWS (--latency ${m.name}: cold start ${s((m.lambdaColdStartMs ?? 0) / 1000)} s, warm ` +
        `${s((m.lambdaWarmInvokeMs ?? 0) / 1000)} s); floor = plan + stage + start + transfer + agent + EFS`,
    );
    out.push(table(lambdaModeledRows(l.modeled, m)));
  }
  const c = r.costs;
  if (c) {
    out.push('', `Cost of one publish, ${c.region} on-demand prices, from the ${c.from} run (costs.ts)`);
    out.push(table(costRows(c)), 'Prices:', ...priceLines(c));
  }
  return out;
}

export function printReport(r: Report): void {
  process.stdout.write(`${renderReport(r)}\n`);
}
