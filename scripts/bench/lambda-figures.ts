// c-λ and d-λ on the writer function: the figures, each modeled row's floor, the goals and the tables. Pure: lambda.ts
// runs the scenarios.
//
// floor = plan + stage + start + transfer + agent + EFS: the row's own plan and stage; the start of an invocation on
// the model (a cold one's `lambdaColdStartMs`, a warm one's `lambdaWarmInvokeMs`); the staged bytes at the model's S3
// rate; the agent's own work in the function (the remote phase less the start and the transfer); the EFS model's
// seconds for what it wrote and linked. What the floor leaves out is what the action adds around the invocation:
// starting the process, the preflight, reading the function's state (the instance phase), the cleanup.

import type { LatencyModel } from '../../testbed/latency.ts';
import { phaseCells, phaseHeaders, s, x } from './format.ts';
import type { ScenarioFigures } from './report.ts';

export type LambdaKey = 'oneFileCold' | 'oneFileWarm' | 'depsWarm';
export const LAMBDA_SCENARIOS: [LambdaKey, string][] = [
  ['oneFileCold', 'c-λ. one-file change, cold function'],
  ['oneFileWarm', 'c-λ. one-file change, warm function'],
  ['depsWarm', 'd-λ. dependency bump, warm function'],
];
/** The goals, modeled seconds. */
export const LAMBDA_GOAL_SECONDS: Record<LambdaKey, number> = { oneFileCold: 8, oneFileWarm: 5, depsWarm: 10 };
export const LAMBDA_FLOOR_RATIO = 1.5;

/** One set: the first publish through the function, the three measured, and c. on a launched instance. */
export type LambdaSet = { prior: ScenarioFigures; oneFileLaunched: ScenarioFigures } & Record<
  LambdaKey,
  ScenarioFigures
>;

export interface LambdaFloor {
  plan: number;
  stage: number;
  /** The model's start of an invocation: cold or warm. */
  start: number;
  /** The staged bytes at the model's S3 rate. */
  transfer: number;
  /** The agent's own work in the function: the remote phase less the start and the transfer. */
  agent: number;
  efs: number;
  floorSeconds: number;
  modeledSeconds: number;
  ratio: number;
}

export interface LambdaReport {
  /** The writer function's memory, MiB (its MemorySize). */
  memoryMiB: number;
  local: LambdaSet;
  modeled?: LambdaSet;
  floors?: Record<LambdaKey, LambdaFloor>;
}

export function lambdaFloor(f: ScenarioFigures, model: LatencyModel, cold: boolean): LambdaFloor {
  const start = ((cold ? model.lambdaColdStartMs : model.lambdaWarmInvokeMs) ?? 0) / 1000;
  const transfer = f.bytesUploaded / (model.s3TotalMiBps * 1048576);
  const agent = Math.max(0, f.phases.remote - start - transfer);
  const efs = f.efsModelSeconds;
  const floor = f.phases.plan + f.phases.stage + start + transfer + agent + efs;
  const modeled = f.modeledSeconds ?? f.wallSeconds + efs;
  return {
    plan: f.phases.plan,
    stage: f.phases.stage,
    start,
    transfer,
    agent,
    efs,
    floorSeconds: floor,
    modeledSeconds: modeled,
    ratio: modeled / floor,
  };
}

export function lambdaFloors(set: LambdaSet, model: LatencyModel): Record<LambdaKey, LambdaFloor> {
  return Object.fromEntries(
    LAMBDA_SCENARIOS.map(([key]) => [key, lambdaFloor(set[key], model, key === 'oneFileCold')]),
  ) as Record<LambdaKey, LambdaFloor>;
}

/** Instances launched, and the engine that wrote, of each measured run of a set. */
function onFunction(set: LambdaSet): { met: boolean; figures: string } {
  return {
    met: LAMBDA_SCENARIOS.every(([key]) => set[key].instancesLaunched === 0 && set[key].engine === 'lambda'),
    figures: LAMBDA_SCENARIOS.map(([key]) => `${set[key].instancesLaunched} (${set[key].engine ?? '?'})`).join(', '),
  };
}

export function lambdaGoals(r: LambdaReport): { goal: string; met: boolean | null; figures: string }[] {
  const goals = [{ goal: 'no instance launched for c-λ and d-λ, on the function (local)', ...onFunction(r.local) }];
  if (!r.modeled || !r.floors) return goals;
  goals.push({ goal: 'no instance launched for c-λ and d-λ, on the function (modeled)', ...onFunction(r.modeled) });
  for (const [key, label] of LAMBDA_SCENARIOS) {
    const f = r.floors[key];
    const limit = LAMBDA_GOAL_SECONDS[key];
    goals.push({
      goal: `modeled ${label} ≤ ${limit} s`,
      met: f.modeledSeconds <= limit,
      figures: `${s(f.modeledSeconds)} s`,
    });
  }
  for (const [key, label] of LAMBDA_SCENARIOS) {
    const f = r.floors[key];
    goals.push({
      goal: `modeled ${label} within ${LAMBDA_FLOOR_RATIO}× its floor`,
      met: f.ratio <= LAMBDA_FLOOR_RATIO,
      figures: `${s(f.modeledSeconds)} s vs ${s(f.floorSeconds)} s: ${x(f.ratio)}`,
    });
  }
  return goals;
}

/** The main step's time outside the action's phases: Node's start, the interpreter probes before the plan, the
 * credentials, the preflight, the summary. */
export function outsidePhases(f: ScenarioFigures): number {
  const p = f.phases;
  return f.wallSeconds - (p.plan + p.stage + p.instance + p.remote + p.cleanup);
}

const PRIOR = 'first publish on the function (before)';
const LAUNCHED = 'c. one-file change, launched instance (after)';

function rowsOf(set: LambdaSet): [string, ScenarioFigures][] {
  return [
    [PRIOR, set.prior],
    ...LAMBDA_SCENARIOS.map(([k, l]) => [l, set[k]] as [string, ScenarioFigures]),
    [LAUNCHED, set.oneFileLaunched],
  ];
}

/** The local table: scenario, engine, wall, phases, AWS calls, invocations, instances launched. */
export function lambdaLocalRows(set: LambdaSet): string[][] {
  return [
    ['scenario', 'engine', ...phaseHeaders('wall'), 'other', 'AWS calls', 'invokes', 'launched'],
    ...rowsOf(set).map(([label, f]) => [
      label,
      f.engine ?? '–',
      ...phaseCells(f),
      s(outsidePhases(f)),
      String(Math.round(f.awsCalls)),
      String(f.billing?.invocations ?? 0),
      String(Math.round(f.instancesLaunched)),
    ]),
  ];
}

/** The modeled table: as the local one, with the EFS model, the floor and modeled / floor of the measured rows. */
export function lambdaModeledRows(set: LambdaSet, model: LatencyModel): string[][] {
  const measured = new Map<ScenarioFigures, LambdaKey>(LAMBDA_SCENARIOS.map(([k]) => [set[k], k]));
  return [
    ['scenario', 'engine', ...phaseHeaders('modeled'), 'other', 'EFS model', 'launched', 'floor', 'modeled / floor'],
    ...rowsOf(set).map(([label, f]) => {
      const key = measured.get(f);
      const floor = key ? lambdaFloor(f, model, key === 'oneFileCold') : undefined;
      return [
        label,
        f.engine ?? '–',
        `${s(f.modeledSeconds ?? f.wallSeconds + f.efsModelSeconds)} s`,
        s(f.phases.plan),
        s(f.phases.stage),
        s(f.phases.instance),
        s(f.phases.remote),
        s(f.phases.cleanup),
        s(outsidePhases(f)),
        s(f.efsModelSeconds),
        String(Math.round(f.instancesLaunched)),
        floor ? `${s(floor.floorSeconds)} s` : '–',
        floor ? x(floor.ratio) : '–',
      ];
    }),
  ];
}
