// The bench's c-λ and d-λ rows, their floors and goals (scripts/bench/lambda-figures.ts), the request log's billing
// (measure.ts) and the cost table (costs.ts, prices.ts): pure, no test bed.
import { describe, expect, it } from 'vitest';
import { costRows, costTable, usd } from '../../scripts/bench/costs.ts';
import { evaluateGoals } from '../../scripts/bench/goals.ts';
import {
  LAMBDA_SCENARIOS,
  type LambdaReport,
  type LambdaSet,
  lambdaFloor,
  lambdaFloors,
  lambdaGoals,
  lambdaLocalRows,
  lambdaModeledRows,
} from '../../scripts/bench/lambda-figures.ts';
import { billingOf } from '../../scripts/bench/measure.ts';
import { EBS_GP3, EBS_MONTH_SECONDS, EC2_HOURLY, LAMBDA, priceList } from '../../scripts/bench/prices.ts';
import type { Report, ScenarioFigures } from '../../scripts/bench/report.ts';
import { renderReport } from '../../scripts/bench/report.ts';
import type { LogEntry } from '../../testbed/request-log.ts';

// testbed/latency.ts's AWS_MODEL in shape, with round figures (written out: a unit test imports nothing of the bed).
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
  lambdaColdStartMs: 3000,
  lambdaWarmInvokeMs: 250,
};
const MIB = 1048576;

type Over = Omit<Partial<ScenarioFigures>, 'phases'> & { phases?: Partial<ScenarioFigures['phases']> };

function figures(over: Over = {}): ScenarioFigures {
  const base: ScenarioFigures = {
    wallSeconds: 3,
    postSeconds: 0.5,
    phases: { plan: 1, stage: 0.2, instance: 0, remote: 0.5, cleanup: 0.2 },
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
    efsModelSeconds: 0.1,
    modeledSeconds: 3.1,
    engine: 'lambda',
    billing: { invocations: 1, invokeSeconds: 0.5, launches: [] },
  };
  return { ...base, ...over, phases: { ...base.phases, ...over.phases } } as ScenarioFigures;
}

function set(over: Over = {}): LambdaSet {
  return {
    prior: figures(),
    oneFileCold: figures({
      phases: { remote: 3.5 },
      billing: { invocations: 1, invokeSeconds: 3.5, launches: [] },
      ...over,
    }),
    oneFileWarm: figures(over),
    depsWarm: figures(over),
    oneFileLaunched: figures({
      engine: 'instance',
      instancesLaunched: 1,
      billing: { invocations: 0, invokeSeconds: 0, launches: [{ type: 't3.small', volumeGiB: 9, seconds: 110 }] },
    }),
  };
}

const entry = (over: Partial<LogEntry>): LogEntry => ({
  seq: 1,
  time: '2026-12-06T10:00:00.000Z',
  service: 'ec2',
  operation: 'DescribeInstances',
  params: {},
  status: 200,
  answeredBy: 'moto',
  ms: 0,
  ...over,
});

describe('the floor of c-λ and d-λ', () => {
  it('is plan + stage + the start (cold or warm) + the transfer + the agent + EFS', () => {
    const f = figures({ bytesUploaded: 50 * MIB, phases: { plan: 1, stage: 0.2, remote: 4 } });
    const cold = lambdaFloor(f, MODEL, true);
    expect(cold.start).toBe(3);
    expect(cold.transfer).toBeCloseTo(0.5);
    expect(cold.agent).toBeCloseTo(0.5);
    expect(cold.floorSeconds).toBeCloseTo(1 + 0.2 + 3 + 0.5 + 0.5 + 0.1);
    expect(cold.ratio).toBeCloseTo(3.1 / cold.floorSeconds);
    const warm = lambdaFloor(f, MODEL, false);
    expect(warm.start).toBe(0.25);
    expect(warm.agent).toBeCloseTo(4 - 0.25 - 0.5);
  });

  it('the agent is never below 0; only oneFileCold is reckoned cold', () => {
    expect(lambdaFloor(figures({ phases: { remote: 0.1 } }), MODEL, true).agent).toBe(0);
    const floors = lambdaFloors(set(), MODEL);
    expect(Object.keys(floors)).toEqual(LAMBDA_SCENARIOS.map(([k]) => k));
    expect(floors.oneFileCold.start).toBe(3);
    expect(floors.depsWarm.start).toBe(0.25);
  });
});

describe('the goals of c-λ and d-λ', () => {
  it('none launched, on the function; 8, 5 and 10 s; each within 1.5× its floor', () => {
    const fast = set({ modeledSeconds: 2 });
    const goals = lambdaGoals({ memoryMiB: 2048, local: fast, modeled: fast, floors: lambdaFloors(fast, MODEL) });
    expect(goals.map((g) => g.goal)).toEqual([
      'no instance launched for c-λ and d-λ, on the function (local)',
      'no instance launched for c-λ and d-λ, on the function (modeled)',
      'modeled c-λ. one-file change, cold function ≤ 8 s',
      'modeled c-λ. one-file change, warm function ≤ 5 s',
      'modeled d-λ. dependency bump, warm function ≤ 10 s',
      'modeled c-λ. one-file change, cold function within 1.5× its floor',
      'modeled c-λ. one-file change, warm function within 1.5× its floor',
      'modeled d-λ. dependency bump, warm function within 1.5× its floor',
    ]);
    expect(goals[0]?.figures).toBe('0 (lambda), 0 (lambda), 0 (lambda)');
    // 2 s against a warm floor of 1 + 0.2 + 0.25 + 0.25 + 0.1: met; the cold floor is above 2 s, so met too.
    expect(goals.map((g) => g.met)).toEqual([true, true, true, true, true, true, true, true]);

    const slow = set({ modeledSeconds: 9 });
    slow.depsWarm = { ...slow.depsWarm, engine: 'instance', instancesLaunched: 1 };
    const bad = lambdaGoals({ memoryMiB: 2048, local: set(), modeled: slow, floors: lambdaFloors(slow, MODEL) });
    expect(bad.map((g) => g.met)).toEqual([true, false, false, false, true, false, false, false]);
    expect(bad[1]?.figures).toBe('0 (lambda), 0 (lambda), 1 (instance)');
  });

  it('without the modeled run: only the local launches', () => {
    expect(lambdaGoals({ memoryMiB: 2048, local: set() }).map((g) => g.met)).toEqual([true]);
  });
});

describe('the tables of c-λ and d-λ', () => {
  it('the run before, the three, then the launched instance; floors for the three only', () => {
    const local = lambdaLocalRows(set());
    expect(local.map((r) => r[0])).toEqual([
      'scenario',
      'first publish on the function (before)',
      ...LAMBDA_SCENARIOS.map(([, l]) => l),
      'c. one-file change, launched instance (after)',
    ]);
    expect(local.map((r) => r.at(-1))).toEqual(['launched', '0', '0', '0', '0', '1']);
    expect(local.map((r) => r[1])).toEqual(['engine', 'lambda', 'lambda', 'lambda', 'lambda', 'instance']);
    const modeled = lambdaModeledRows(set(), MODEL);
    const floor = lambdaFloor(set().oneFileWarm, MODEL, false);
    expect(modeled[1]?.slice(-2)).toEqual(['–', '–']);
    expect(modeled[3]?.slice(-2)).toEqual([`${floor.floorSeconds.toFixed(2)} s`, `${floor.ratio.toFixed(2)}×`]);
    expect(modeled[5]?.slice(-2)).toEqual(['–', '–']);
    for (const rows of [local, modeled]) for (const row of rows) expect(row).toHaveLength(rows[0]?.length ?? 0);
    // The time outside the phases: 3 s of wall, 1.9 s of phases.
    expect(local[3]?.[8]).toBe('1.10');
  });
});

describe('billing from the request log', () => {
  it('counts Invoke calls answered 200 and their time; pairs each launch with the termination after it', () => {
    const billing = billingOf([
      entry({ service: 'lambda', operation: 'Invoke', ms: 1500 }),
      entry({ service: 'lambda', operation: 'Invoke', ms: 900, status: 429 }),
      entry({
        operation: 'RunInstances',
        ms: 1000,
        params: { InstanceType: 't3.small', 'BlockDeviceMapping.1.Ebs.VolumeSize': '9' },
      }),
      entry({ operation: 'TerminateInstances', time: '2026-12-06T10:01:01.000Z' }),
    ]);
    expect(billing).toEqual({
      invocations: 1,
      invokeSeconds: 1.5,
      launches: [{ type: 't3.small', volumeGiB: 9, seconds: 60 }],
    });
  });

  it('an instance left running (warm) has no end', () => {
    const billing = billingOf([entry({ operation: 'RunInstances', params: { InstanceType: 't3.small' } })]);
    expect(billing.launches[0]?.seconds).toBeUndefined();
  });
});

describe('the cost table', () => {
  it('prices the function by GB-s and requests, less the modeled warm overhead of each invocation', () => {
    const report: LambdaReport = { memoryMiB: 2048, local: set(), modeled: set() };
    const table = costTable(report, MODEL);
    expect(table.from).toBe('modeled');
    const warm = table.rows[1];
    // 0.5 s at the front less 0.25 s of Lambda's own: 0.25 s × 2 GB = 0.5 GB-s.
    expect(warm?.billed).toBe('2.00 GB × 0.250 s = 0.50 GB-s, 1 request');
    expect(warm?.usd).toBeCloseTo(0.5 * LAMBDA.gbSecond.usd + LAMBDA.request.usd, 12);
  });

  it('a launched instance: running seconds (less pending, at least 60) and its volume prorated; an idle hour', () => {
    const table = costTable({ memoryMiB: 2048, local: set(), modeled: set() }, MODEL);
    const launched = table.rows.find((r) => r.engine === 'launched instance');
    const t3 = EC2_HOURLY['t3.small']?.usd ?? Number.NaN;
    // 110 s from launch to termination, 20 s pending: 90 s billed; the volume all 110 s.
    expect(launched?.usd).toBeCloseTo((t3 * 90) / 3600 + (EBS_GP3.usd * 9 * 110) / EBS_MONTH_SECONDS, 12);
    const idle = table.rows.find((r) => r.engine === 'warm instance');
    expect(idle?.usd).toBeCloseTo(t3 + (EBS_GP3.usd * 9 * 3600) / EBS_MONTH_SECONDS, 12);
    expect(costRows(table)[0]).toEqual(['publish', 'on', 'billed', 'cost (USD)']);
  });

  it('the local run when there is no modeled one; a short instance is billed 60 s', () => {
    const local = set();
    local.oneFileLaunched = {
      ...local.oneFileLaunched,
      billing: { invocations: 0, invokeSeconds: 0, launches: [{ type: 't3.small', volumeGiB: 9, seconds: 10 }] },
    };
    const table = costTable({ memoryMiB: 1024, local }, MODEL);
    expect(table.from).toBe('local');
    expect(table.rows[1]?.billed).toBe('1.00 GB × 0.500 s = 0.50 GB-s, 1 request');
    expect(table.rows.find((r) => r.engine === 'launched instance')?.billed).toBe(
      't3.small: 60 instance-s; 9 GiB gp3 × 60 s',
    );
  });

  it('every price says where it was read and when', () => {
    for (const [, price] of priceList()) {
      expect(price.source).toMatch(/^https:\/\//);
      expect(price.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.usd).toBeGreaterThan(0);
    }
    expect(usd(0.0000105)).toBe('$0.0000105');
    expect(usd(0.0226)).toBe('$0.0226');
  });

  it('a report of the function alone (--only lambda) has its goals, tables and the cost table', () => {
    const lambda: LambdaReport = { memoryMiB: 2048, local: set(), modeled: set(), floors: lambdaFloors(set(), MODEL) };
    const report: Report = {
      version: 1,
      date: '2026-12-06T10:00:00.000Z',
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
      lambda,
      costs: costTable(lambda, MODEL),
      goals: [],
    };
    report.goals = evaluateGoals(report);
    expect(report.goals).toEqual(lambdaGoals(lambda));
    const text = renderReport(report);
    expect(text).toContain('c-λ and d-λ on the writer function (engine lambda, 2048 MB)');
    expect(text).toContain('Cost of one publish, us-east-1 on-demand prices, from the modeled run');
    expect(text).toContain('EBS gp3 storage: $0.08 per GB-month');
  });
});
