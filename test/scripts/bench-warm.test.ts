// The bench's floor and its c'./d'. rows (scripts/bench/large.ts, warm-figures.ts, goals.ts): pure, no test bed.
import { describe, expect, it } from 'vitest';
import { evaluateGoals } from '../../scripts/bench/goals.ts';
import { deliverySeconds, floorSeconds, modelLarge, transferOf } from '../../scripts/bench/large.ts';
import type { Report, ScenarioFigures } from '../../scripts/bench/report.ts';
import { renderReport } from '../../scripts/bench/report.ts';
import {
  localRows,
  modeledRows,
  WARM_SCENARIOS,
  type WarmReport,
  type WarmSet,
  warmFloor,
  warmFloors,
  warmGoals,
} from '../../scripts/bench/warm-figures.ts';

// The shape of testbed/latency.ts's AWS_MODEL, with round figures for the arithmetic (written out: a unit
// test imports nothing of the test bed).
const MODEL = {
  name: 'aws',
  runningAfterMs: 20_000,
  onlineAfterRunningMs: 25_000,
  apiMs: 60,
  s3FirstByteMs: 30,
  s3MiBps: 80,
  s3TotalMiBps: 100,
  efsMiBps: 150,
  efsOpMs: 2,
  efsConcurrency: 16,
};
const MIB = 1048576;

type Over = Omit<Partial<ScenarioFigures>, 'phases'> & { phases?: Partial<ScenarioFigures['phases']> };

function figures(over: Over = {}) {
  const base: ScenarioFigures = {
    wallSeconds: 5,
    postSeconds: 0.5,
    phases: { plan: 1, stage: 0.5, instance: 0.3, remote: 2, cleanup: 0.2 },
    awsCalls: 30,
    callsByService: {},
    instancesLaunched: 0,
    bytesHashed: 0,
    filesHashed: 0,
    bytesUploaded: 0,
    bytesChanged: 0,
    filesChanged: 1,
    efsBytesWritten: 0,
    efsFilesWritten: 1,
    efsLinksMade: 500,
    agentFilesWritten: 1,
    agentFilesLinked: 500,
    efsModelSeconds: 0.5,
    modeledSeconds: 5.5,
  };
  return { ...base, ...over, phases: { ...base.phases, ...over.phases } } as ScenarioFigures;
}

function set(over: Partial<ScenarioFigures> = {}): WarmSet {
  return {
    prior: figures({ instancesLaunched: 1, instanceSource: 'launched', modeledSeconds: 60 }),
    oneFileWarm: figures({ instanceSource: 'reused', ...over }),
    depsWarm: figures({ instanceSource: 'reused', ...over }),
    oneFileOwn: figures({ instanceSource: 'borrowed', ...over }),
    depsOwn: figures({ instanceSource: 'borrowed', ...over }),
  };
}

describe('the floor (large.ts), shared by e. and the warm rows', () => {
  it('SSM delivery is the remote phase less the transfer at the model S3 rate, never below 0', () => {
    expect(deliverySeconds(figures({ bytesUploaded: 100 * MIB, phases: { remote: 3 } }), MODEL)).toBeCloseTo(2);
    expect(deliverySeconds(figures({ bytesUploaded: 1000 * MIB, phases: { remote: 3 } }), MODEL)).toBe(0);
  });

  it('the transfer runs at the baseline of the type instance-type auto chooses, capped by EFS', () => {
    const small = transferOf(16e6);
    expect(small).toMatchObject({ type: 't4g.small', baselineGbps: 0.128, rate: 16e6 });
    expect(small.transferSeconds).toBeCloseTo(1);
    // 7.5 Gbps is 937.5 MB/s, under EFS's 1,500 MiB/s: the baseline holds.
    expect(transferOf(100e9).rate).toBe(937.5e6);
  });

  it('is plan + stage + delivery + transfer', () => {
    expect(floorSeconds({ plan: 1, stage: 2, delivery: 3, transferSeconds: 4 })).toBe(10);
  });

  it('modelLarge keeps its figures: floor with the stage, modeled with the boot when longer', () => {
    const [row] = modelLarge(figures({ bytesUploaded: 100 * MIB, phases: { plan: 2, remote: 5 } }), MODEL, [1]);
    const stage = 1e9 / (100 * MIB);
    expect(row?.type).toBe('t4g.small');
    expect(row?.floorSeconds).toBeCloseTo(2 + stage + 4 + 62.5);
    expect(row?.modeledSeconds).toBeCloseTo(2 + 45 + 4 + 62.5);
  });
});

describe("c'. and d'. on a warm or borrowed instance", () => {
  it('a floor counts plan, stage, delivery, EFS and transfer, not the instance phase nor the process', () => {
    const f = figures({ bytesUploaded: 1.6e6, phases: { plan: 1, stage: 0.5, instance: 0.3, remote: 2 } });
    const floor = warmFloor(f, MODEL);
    const transfer = 1.6e6 / 16e6;
    expect(floor.type).toBe('t4g.small');
    expect(floor.delivery).toBeCloseTo(2 - 1.6e6 / (100 * MIB));
    expect(floor.efs).toBe(0.5);
    expect(floor.floorSeconds).toBeCloseTo(1 + 0.5 + floor.delivery + 0.5 + transfer);
    expect(floor.modeledSeconds).toBe(5.5);
    expect(floor.ratio).toBeCloseTo(5.5 / floor.floorSeconds);
  });

  it('without a modeled time, the floor compares the wall time and the EFS model', () => {
    const { modeledSeconds: _, ...f } = figures();
    expect(warmFloor(f, MODEL).modeledSeconds).toBe(5.5);
  });

  it('has a floor for each of the four measured rows, not for the run before them', () => {
    expect(Object.keys(warmFloors(set(), MODEL))).toEqual(WARM_SCENARIOS.map(([k]) => k));
  });

  it('goals: none launched and each source as it should be; ≤ 10 s warm; each within 1.5× its floor', () => {
    const good = set({ wallSeconds: 3, modeledSeconds: 3.5 });
    const w: WarmReport = { local: good, modeled: good, floors: warmFloors(good, MODEL) };
    const goals = warmGoals(w);
    expect(goals.map((g) => g.met)).toEqual([true, true, true, true, true, true, true]);
    expect(goals[0]?.figures).toBe('0 (reused), 0 (reused), 0 (borrowed), 0 (borrowed)');
    expect(goals[2]?.goal).toBe('modeled one-file change on a warm instance ≤ 10 s');

    const slow = set({ modeledSeconds: 12 });
    slow.depsOwn = { ...slow.depsOwn, instancesLaunched: 1 };
    slow.oneFileWarm = { ...slow.oneFileWarm, instanceSource: 'launched' };
    const bad = warmGoals({ local: set(), modeled: slow, floors: warmFloors(slow, MODEL) });
    expect(bad.map((g) => g.met)).toEqual([true, false, false, false, false, false, false]);
    expect(bad[1]?.figures).toBe('0 (launched), 0 (reused), 0 (borrowed), 1 (borrowed)');
  });

  it('goals without the modeled run: only the local launches', () => {
    expect(warmGoals({ local: set() }).map((g) => g.goal)).toEqual([
      "no instance launched for c'. and d'., warm and instance-id (local)",
    ]);
  });

  it('rows: the run before, then the four; instances launched from the request log; floor and ratio modeled', () => {
    const local = localRows(set());
    expect(local.map((r) => r[0])).toEqual([
      'scenario',
      'first publish, keep-warm (before)',
      ...WARM_SCENARIOS.map(([, l]) => l),
    ]);
    expect(local.map((r) => r.at(-1))).toEqual(['launched', '1', '0', '0', '0', '0']);
    expect(local[2]?.[1]).toBe('reused');
    const modeled = modeledRows(set(), MODEL);
    expect(modeled[0]?.slice(-3)).toEqual(['launched', 'floor', 'modeled / floor']);
    const floor = warmFloor(set().oneFileWarm, MODEL);
    expect(modeled[1]?.slice(-2)).toEqual(['–', '–']);
    expect(modeled[2]?.slice(-2)).toEqual([`${floor.floorSeconds.toFixed(2)} s`, `${floor.ratio.toFixed(2)}×`]);
  });

  it('a report of the warm scenarios alone (--only warm) has its goals and tables', () => {
    const w: WarmReport = { local: set(), modeled: set(), floors: warmFloors(set(), MODEL) };
    const report: Report = {
      version: 1,
      date: '2026-12-02T03:00:00.000Z',
      machine: { nproc: 2, memoryGiB: 23, cpu: 'cpu', node: 'v24', kernel: 'k' },
      dataset: {
        name: 'quick',
        spec: {
          name: 'quick',
          largeFiles: 3,
          largeBytes: 1,
          smallFiles: 1,
          smallMin: 1,
          smallMax: 1,
          smallPerDir: 1,
          wheels: 1,
        },
        bytes: { small: 1, large: 3, total: 4 },
        files: { small: 1, large: 3 },
        wheels: 1,
        workspace: '/w',
      },
      runs: 1,
      perRun: [],
      latencyModel: MODEL,
      warm: w,
      goals: [],
    };
    report.goals = evaluateGoals(report);
    expect(report.goals).toEqual(warmGoals(w));
    const text = renderReport(report);
    expect(text).not.toContain('Local test bed (moto), seconds');
    expect(text).toContain("c'. one-file change, warm");
    expect(text).toContain('modeled / floor');
  });
});
