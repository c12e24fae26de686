// c'. and d'. on a warm instance (keep-warm) and on a borrowed one (instance-id): the figures, each modeled row's
// floor, the goals and the tables. Pure: warm.ts runs the scenarios.
//
// floor = plan + stage + SSM delivery + bytes / bandwidth (the definition, as large.ts computes it): the
// row's own plan and stage; SSM delivery and the agent's work from the row's own remote phase less its transfer at
// the model's S3 rate, plus the EFS model's seconds (its writes and links on EFS, which the modeled time adds too);
// the transfer at the baseline bandwidth of the type instance-type auto chooses for the bytes. What the floor leaves
// out is what a warm or borrowed instance should make small: finding the instance, the process, the cleanup.

import type { LatencyModel } from '../../testbed/latency.ts';
import { phaseCells, phaseHeaders, s, x } from './format.ts';
import { deliverySeconds, floorSeconds, transferOf } from './large.ts';
import type { ScenarioFigures } from './report.ts';

export type WarmKey = 'oneFileWarm' | 'depsWarm' | 'oneFileOwn' | 'depsOwn';
export const WARM_SCENARIOS: [WarmKey, string][] = [
  ['oneFileWarm', "c'. one-file change, warm"],
  ['depsWarm', "d'. dependency bump, warm"],
  ['oneFileOwn', "c'. one-file change, instance-id"],
  ['depsOwn', "d'. dependency bump, instance-id"],
];
/** The instance-source output each scenario must show. */
export const WARM_SOURCE: Record<WarmKey, string> = {
  oneFileWarm: 'reused',
  depsWarm: 'reused',
  oneFileOwn: 'borrowed',
  depsOwn: 'borrowed',
};
export const GOAL_WARM_SECONDS = 10;
export const GOAL_FLOOR_RATIO = 1.5;

/** One set: the run that leaves the instance warm (a first publish with keep-warm), then the four measured. */
export type WarmSet = { prior: ScenarioFigures } & Record<WarmKey, ScenarioFigures>;

export interface WarmFloor {
  plan: number;
  stage: number;
  /** SSM delivery and the agent's own work: the remote phase less its transfer at the model's S3 rate. */
  delivery: number;
  /** The EFS model's seconds for what the agent wrote and linked. */
  efs: number;
  type: string;
  rate: number;
  transferSeconds: number;
  floorSeconds: number;
  modeledSeconds: number;
  /** modeled / floor */
  ratio: number;
}

export interface WarmReport {
  local: WarmSet;
  modeled?: WarmSet;
  floors?: Record<WarmKey, WarmFloor>;
}

export function warmFloor(f: ScenarioFigures, model: LatencyModel): WarmFloor {
  const delivery = deliverySeconds(f, model);
  const efs = f.efsModelSeconds;
  const transfer = transferOf(f.bytesUploaded);
  const floor = floorSeconds({
    plan: f.phases.plan,
    stage: f.phases.stage,
    delivery: delivery + efs,
    transferSeconds: transfer.transferSeconds,
  });
  const modeled = f.modeledSeconds ?? f.wallSeconds + efs;
  return {
    plan: f.phases.plan,
    stage: f.phases.stage,
    delivery,
    efs,
    type: transfer.type,
    rate: transfer.rate,
    transferSeconds: transfer.transferSeconds,
    floorSeconds: floor,
    modeledSeconds: modeled,
    ratio: modeled / floor,
  };
}

export function warmFloors(set: WarmSet, model: LatencyModel): Record<WarmKey, WarmFloor> {
  return Object.fromEntries(WARM_SCENARIOS.map(([key]) => [key, warmFloor(set[key], model)])) as Record<
    WarmKey,
    WarmFloor
  >;
}

/** Instances launched, and the instance-source output, of each measured run of a set. */
function launched(set: WarmSet): { met: boolean; figures: string } {
  const rows = WARM_SCENARIOS.map(([key]) => set[key]);
  return {
    met: WARM_SCENARIOS.every(
      ([key]) => set[key].instancesLaunched === 0 && set[key].instanceSource === WARM_SOURCE[key],
    ),
    figures: rows.map((f) => `${f.instancesLaunched} (${f.instanceSource ?? '?'})`).join(', '),
  };
}

export function warmGoals(w: WarmReport): { goal: string; met: boolean | null; figures: string }[] {
  const goals = [{ goal: "no instance launched for c'. and d'., warm and instance-id (local)", ...launched(w.local) }];
  if (!w.modeled || !w.floors) return goals;
  goals.push({ goal: "no instance launched for c'. and d'., warm and instance-id (modeled)", ...launched(w.modeled) });
  const oneFile = w.floors.oneFileWarm;
  goals.push({
    goal: `modeled one-file change on a warm instance ≤ ${GOAL_WARM_SECONDS} s`,
    met: oneFile.modeledSeconds <= GOAL_WARM_SECONDS,
    figures: `${s(oneFile.modeledSeconds)} s`,
  });
  for (const [key, label] of WARM_SCENARIOS) {
    const f = w.floors[key];
    goals.push({
      goal: `modeled ${label} within ${GOAL_FLOOR_RATIO}× its floor`,
      met: f.ratio <= GOAL_FLOOR_RATIO,
      figures: `${s(f.modeledSeconds)} s vs ${s(f.floorSeconds)} s: ${x(f.ratio)}`,
    });
  }
  return goals;
}

const PRIOR = 'first publish, keep-warm (before)';

/** The rows of the local table: scenario, instance, wall, phases, AWS calls, instances launched. */
export function localRows(set: WarmSet): string[][] {
  const rows: [string, ScenarioFigures][] = [
    [PRIOR, set.prior],
    ...WARM_SCENARIOS.map(([k, l]) => [l, set[k]] as [string, ScenarioFigures]),
  ];
  return [
    ['scenario', 'instance', ...phaseHeaders('wall'), 'AWS calls', 'launched'],
    ...rows.map(([label, f]) => [
      label,
      f.instanceSource ?? '–',
      ...phaseCells(f),
      String(Math.round(f.awsCalls)),
      String(Math.round(f.instancesLaunched)),
    ]),
  ];
}

/**
 * The rows of the modeled table: as the local one, with the EFS model, the floor and modeled / floor. The run before
 * has none: it moves the whole data set on the bench's t3.small at the model's S3 rate, where the floor reckons with
 * the type instance-type auto would choose (e. models that case).
 */
export function modeledRows(set: WarmSet, model: LatencyModel): string[][] {
  const rows: [string, ScenarioFigures][] = [
    [PRIOR, set.prior],
    ...WARM_SCENARIOS.map(([k, l]) => [l, set[k]] as [string, ScenarioFigures]),
  ];
  return [
    [
      'scenario',
      'instance',
      'modeled',
      'plan',
      'stage',
      'instance',
      'remote',
      'EFS model',
      'launched',
      'floor',
      'modeled / floor',
    ],
    ...rows.map(([label, f]) => {
      const floor = warmFloor(f, model);
      const prior = f === set.prior;
      return [
        label,
        f.instanceSource ?? '–',
        `${s(floor.modeledSeconds)} s`,
        s(f.phases.plan),
        s(f.phases.stage),
        s(f.phases.instance),
        s(f.phases.remote),
        s(f.efsModelSeconds),
        String(Math.round(f.instancesLaunched)),
        prior ? '–' : `${s(floor.floorSeconds)} s`,
        prior ? '–' : x(floor.ratio),
      ];
    }),
  ];
}
