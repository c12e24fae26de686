// The engine top-down with every step that would reach AWS replaced: a fake executor behind the seam, fake credentials,
// preflight, plans and state writes. What it checks is the engine's own order: nothing to do, a re-plan after a base
// mismatch, an executor that retries on its own, keep-warm, and cancellation.
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import type { Config } from '../../src/config/types.js';
import type { Reporter } from '../../src/core/reporter.js';
import type { SyncResult } from '../../src/core/result.js';
import type { TargetPlan } from '../../src/plan/target-plan.js';
import { RunCancelled, type RunHooks } from '../../src/remote/context.js';
import { BaseMismatchError, type ExecutedOn, type Execution, type Work } from '../../src/remote/executor.js';
import type { Preflight } from '../../src/remote/preflight/preflight.js';
import type { AgentResult } from '../../src/remote/protocol.js';
import { PARTS, type Parts, runWith } from '../../src/run/engine.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load } from '../support/config.ts';

const CHECKED = {
  accessPointRoot: '/',
  subnetId: 'subnet-1',
  securityGroupIds: [],
  instanceTypes: [],
} as unknown as Preflight;

function plan(target: string, unchanged: boolean): TargetPlan {
  const file = { path: 'a.bin', size: 10, sha256: 'x', mode: 0o644 };
  return {
    kind: 'local',
    target,
    tree: { files: [file], dirs: [] },
    changes: unchanged ? { add: [], modify: [], delete: [] } : { add: [file], modify: [], delete: [] },
    files: [{ ...file, changed: !unchanged }],
    dirs: [],
    unchanged,
  } as unknown as TargetPlan;
}

function agentResult(targets: string[], status: 'published' | 'rolled-back' = 'published'): AgentResult {
  return {
    version: 1,
    runId: 'run',
    jobSha256: null,
    status: 'ok',
    seconds: 1,
    targets: targets.map((target) => ({
      target,
      status,
      releaseId: `r-${target}`,
      previousReleaseId: null,
      filesWritten: 1,
      bytesWritten: 10,
      filesLinked: 0,
      filesDeleted: 0,
      releasesPruned: [],
    })),
  };
}

interface Scene {
  config?: Config;
  /** The plans of each planning, in turn (the last one repeats). */
  plans: TargetPlan[][];
  /** Each execute in turn: an Execution, or an error to throw. */
  executions: (Execution | Error | (() => Promise<Execution>))[];
  ranOn?: ExecutedOn;
  hooks?: RunHooks;
}

/** Runs the engine over fakes, and tells what each step was asked, in order. */
async function run(scene: Scene) {
  const steps: string[] = [];
  const lines: string[] = [];
  const plannedFull: boolean[] = [];
  const executed: Work[] = [];
  const recorded: TargetPlan[][] = [];
  let plannings = 0;
  const destroy = () => {
    steps.push('close clients');
  };
  const clients = { region: 'eu-central-1', destroy } as unknown as AwsClients;
  const nextPlans = async () => scene.plans[Math.min(plannings++, scene.plans.length - 1)] ?? [];
  const parts: Parts = {
    ...PARTS,
    signIn: async () => {
      steps.push('sign in');
      return clients;
    },
    preflight: async () => {
      steps.push('preflight');
      return CHECKED;
    },
    planTargets: async (_config, _clients, _reporter, options) => {
      steps.push('plan');
      plannedFull.push(options.full === true);
      return nextPlans();
    },
    rollbackPlans: async () => {
      steps.push('plan rollback');
      return nextPlans();
    },
    openExecutor: (_ctx, _checked, work) => {
      steps.push(`open executor for ${work.action} of ${work.plans.map((p) => p.target).join(',')}`);
      return {
        execute: async (work) => {
          steps.push('execute');
          executed.push(work);
          const next = scene.executions.shift();
          if (next === undefined) throw new Error('no execution left');
          if (next instanceof Error) throw next;
          return typeof next === 'function' ? next() : next;
        },
        finish: async () => {
          steps.push('finish');
          return scene.ranOn ?? { engine: 'instance' };
        },
      };
    },
    writeStates: async (_ctx, _place, plans) => {
      steps.push('write states');
      recorded.push(plans);
    },
    teardown: async (_clients, record) => {
      steps.push(`teardown ${Object.keys(record).sort().join(',')}`);
    },
  };
  const reporter: Reporter = {
    info: (line) => {
      lines.push(`info: ${line}`);
    },
    warning: (line) => {
      lines.push(`warning: ${line}`);
    },
    group: async (_title, work) => work(),
    secret: () => {},
  };
  const config = scene.config ?? load(INPUTS.LOCAL).config;
  let result: SyncResult | undefined;
  let error: unknown;
  try {
    result = await runWith(parts, config, reporter, scene.hooks ?? {});
  } catch (thrown) {
    error = thrown;
  }
  return { result, error, steps, lines, plannedFull, executed, recorded };
}

const ok = (targets: string[]): Execution => ({ result: agentResult(targets), releaseIds: {}, bytesUploaded: 10 });

describe('the engine', () => {
  it('stops after the plan when nothing changed: no executor, nothing recorded', async () => {
    const { result, steps, lines } = await run({ plans: [[plan('models', true)]], executions: [] });
    expect(result?.changed).toBe(false);
    expect(steps).toEqual(['sign in', 'preflight', 'plan', 'teardown ', 'close clients']);
    expect(lines).toContain('info: Nothing changed: no instance is needed.');
  });

  it('executes the changed targets only, then finishes the executor and records the new states', async () => {
    const { result, steps, executed, recorded } = await run({
      plans: [[plan('models', false), plan('lib', true)]],
      executions: [ok(['models'])],
    });
    expect(steps).toEqual([
      'sign in',
      'preflight',
      'plan',
      'open executor for sync of models',
      'execute',
      'finish',
      'write states',
      'teardown runId,runPrefix,stagingBucket',
      'close clients',
    ]);
    expect(executed.map((w) => w.plans.map((p) => p.target))).toEqual([['models']]);
    expect(recorded.map((plans) => plans.map((p) => p.target))).toEqual([['models']]);
    expect(result?.changed).toBe(true);
    expect(result?.releaseIds).toEqual({ models: 'r-models' });
    expect(result?.targets.map((t) => [t.target, t.status])).toEqual([
      ['models', 'published'],
      ['lib', 'unchanged'],
    ]);
    expect(result?.stats.bytes.uploaded).toBe(10);
  });

  it('plans again in full once after a base mismatch, and executes on the same executor', async () => {
    const mismatch = new BaseMismatchError('models serves r-other, not the release the plan was made against');
    const { result, steps, lines, plannedFull, executed } = await run({
      plans: [[plan('models', false)], [plan('models', false), plan('lib', false)]],
      executions: [mismatch, ok(['models', 'lib'])],
    });
    expect(plannedFull).toEqual([false, true]);
    expect(steps.filter((s) => s.startsWith('open executor'))).toHaveLength(1);
    expect(executed.map((w) => w.plans.map((p) => p.target))).toEqual([['models'], ['models', 'lib']]);
    expect(lines).toContain(
      'warning: models serves r-other, not the release the plan was made against; planning again with a full upload.',
    );
    expect(result?.releaseIds).toEqual({ models: 'r-models', lib: 'r-lib' });
  });

  it('fails on a second base mismatch, and on any other error, without recording anything', async () => {
    const mismatch = () => new BaseMismatchError('models serves r-other, not the release the plan was made against');
    const twice = await run({ plans: [[plan('models', false)]], executions: [mismatch(), mismatch()] });
    expect(twice.error).toBeInstanceOf(BaseMismatchError);
    const failed = await run({ plans: [[plan('models', false)]], executions: [new Error('The agent failed')] });
    expect((failed.error as Error).message).toBe('The agent failed');
    for (const { steps } of [twice, failed]) {
      expect(steps).not.toContain('finish');
      expect(steps).not.toContain('write states');
      expect(steps).toContain('teardown runId,runPrefix,stagingBucket');
    }
  });

  it("leaves an executor's own retries to it: one execute, and where it ran in the end (a relaunch)", async () => {
    const { result, executed } = await run({
      plans: [[plan('models', false)]],
      executions: [ok(['models'])],
      ranOn: { engine: 'instance', instanceId: 'i-relaunched', instanceSource: 'launched' },
    });
    expect(executed).toHaveLength(1);
    expect(result).toMatchObject({ instanceId: 'i-relaunched', instanceSource: 'launched' });
  });

  it('reports the instance kept warm, finished before the states are written', async () => {
    const { result, steps } = await run({
      plans: [[plan('models', false)]],
      executions: [ok(['models'])],
      ranOn: {
        engine: 'instance',
        instanceId: 'i-warm',
        instanceSource: 'reused',
        warmUntil: '2026-12-06T06:00:00.000Z',
      },
    });
    expect(steps.indexOf('finish')).toBeLessThan(steps.indexOf('write states'));
    expect(result).toMatchObject({
      instanceId: 'i-warm',
      instanceSource: 'reused',
      warmUntil: '2026-12-06T06:00:00.000Z',
    });
  });

  it('rolls back every target it planned, through the same executor', async () => {
    const rollback = load({ ...INPUTS.LOCAL, mode: 'rollback' }).config;
    const { steps, executed, result } = await run({
      config: rollback,
      plans: [[plan('models', true)]],
      executions: [{ result: agentResult(['models'], 'rolled-back'), releaseIds: {}, bytesUploaded: 0 }],
    });
    expect(steps).toContain('plan rollback');
    expect(steps).toContain('open executor for rollback of models');
    expect(executed[0]?.action).toBe('rollback');
    expect(result?.targets.map((t) => t.status)).toEqual(['rolled-back']);
  });

  it('on cancellation tears the run down at once and rejects, whatever the executor was waiting for', async () => {
    const controller = new AbortController();
    const { error, steps } = await run({
      plans: [[plan('models', false)]],
      executions: [
        () => {
          controller.abort('SIGTERM');
          return new Promise<Execution>(() => {});
        },
      ],
      hooks: { signal: controller.signal },
    });
    expect(error).toBeInstanceOf(RunCancelled);
    expect(steps).toContain('teardown runId,runPrefix,stagingBucket');
    expect(steps).not.toContain('write states');
  });
});
