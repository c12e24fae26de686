// The bench's goals, from its figures: each with what was measured and whether it is met.

import { mb, s, x } from './format.ts';
import { lambdaGoals } from './lambda-figures.ts';
import type { Report, ScenarioFigures, ScenarioKey } from './report.ts';
import { warmGoals } from './warm-figures.ts';

export function evaluateGoals(r: Report): Report['goals'] {
  const goals: Report['goals'] = [];
  if (r.scenarios) goals.push(...scenarioGoals(r.scenarios));
  const b = r.baselines;
  if (b) goals.push(...baselineGoals(b));
  const m = r.modeled;
  if (m) {
    goals.push({
      goal: 'modeled end-to-end < 2 min for a dependency change',
      met: (m.deps.modeledSeconds ?? Number.POSITIVE_INFINITY) < 120,
      figures: `${s(m.deps.modeledSeconds)} s`,
    });
    goals.push({
      goal: 'modeled end-to-end < 90 s for a file-only change',
      met: (m.oneFile.modeledSeconds ?? Number.POSITIVE_INFINITY) < 90,
      figures: `${s(m.oneFile.modeledSeconds)} s`,
    });
  }
  for (const row of r.large ?? [])
    goals.push({
      goal: `modeled large first publish of ${mb(row.bytes)} within 1.5× its floor`,
      met: row.modeledSeconds <= 1.5 * row.floorSeconds,
      figures: `${s(row.modeledSeconds)} s vs ${s(row.floorSeconds)} s on ${row.type}: ${x(row.modeledSeconds / row.floorSeconds)}`,
    });
  if (r.warm) goals.push(...warmGoals(r.warm));
  if (r.lambda) goals.push(...lambdaGoals(r.lambda));
  return goals;
}

function scenarioGoals({ noop, oneFile }: Record<ScenarioKey, ScenarioFigures>): Report['goals'] {
  const goals: Report['goals'] = [];
  goals.push({
    goal: 'no-op under 5 s, no instance',
    met: noop.wallSeconds < 5 && noop.instancesLaunched === 0,
    figures: `${s(noop.wallSeconds)} s, ${noop.instancesLaunched} instance(s)`,
  });
  const ratio = oneFile.bytesUploaded / (oneFile.changedFileBytes ?? Number.NaN);
  goals.push({
    goal: 'one-file change stages ≤ 1.1× the file',
    met: ratio <= 1.1,
    figures: `${mb(oneFile.bytesUploaded)} staged for a ${mb(oneFile.changedFileBytes ?? 0)} file: ${x(ratio)}`,
  });
  return goals;
}

function baselineGoals(b: NonNullable<Report['baselines']>): Report['goals'] {
  const small = b.small.awsSyncUpSeconds / b.small.stageSeconds;
  const large = b.large.awsSyncUpSeconds / b.large.stageSeconds;
  const hash = b.hashMBps / b.sha256sumMBps;
  return [
    {
      goal: 'staging ≥ 5× faster than aws s3 sync on small files',
      met: small >= 5,
      figures: `${s(b.small.stageSeconds)} s vs ${s(b.small.awsSyncUpSeconds)} s: ${x(small)}`,
    },
    {
      goal: 'staging no slower than aws s3 sync on large files',
      met: large >= 1,
      figures: `${s(b.large.stageSeconds)} s vs ${s(b.large.awsSyncUpSeconds)} s: ${x(large)}`,
    },
    {
      goal: 'hashing ≥ 0.8× sha256sum throughput',
      met: hash >= 0.8,
      figures: `${b.hashMBps.toFixed(0)} MB/s vs ${b.sha256sumMBps.toFixed(0)} MB/s: ${x(hash)}`,
    },
  ];
}
