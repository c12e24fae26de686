// c-λ and d-λ on the writer function (engine lambda, the stack's writer function), on one test bed
// (lambda-figures.ts has the figures): a first publish through the function, then a one-file change and a dependency
// bump right after it (warm: the execution environment the invocation before left), then a one-file change on a cold
// function, then the same one-file change's size on a launched instance, for the cost table.
//
// Cold: Lambda keeps an idle execution environment "for some time in anticipation of another function invocation"
// and documents no figure ("Lambda execution environment lifecycle", Lambda Developer Guide); the test bed retires
// one after `functionWarmMs` idle (lambda-pool.ts). The bench makes the function cold by lowering that setting for
// as long as the bed's sweep takes to retire the idle environment, then restores it: the next invocation needs a new
// execution environment, as after an idle time on AWS.
import path from 'node:path';
import type { LatencyModel } from '../../testbed/latency.ts';
import { sleep } from '../../testbed/latency.ts';
import { bumpRequirements, changeOneFile, type Dataset } from './dataset.ts';
import type { LambdaKey, LambdaSet } from './lambda-figures.ts';
import type { ScenarioFigures } from './report.ts';
import { type Bed, runScenario } from './run.ts';

/** Longer than the bed's sweep of idle environments (every 500 ms, lambda-pool.ts). */
const RETIRE_WAIT_MS = 1500;

/** Discards the function's warm execution environments: the bed's idle timeout, briefly at 0. */
export async function makeCold(bed: Bed): Promise<void> {
  const settings = await bed.aws.control<{ functionWarmMs: number }>('GET', '/settings');
  await bed.aws.settings({ functionWarmMs: 0 });
  try {
    await sleep(RETIRE_WAIT_MS);
  } finally {
    await bed.aws.settings({ functionWarmMs: settings.functionWarmMs });
  }
}

export async function lambdaSet(
  bed: Bed,
  dataset: Dataset,
  scratch: string,
  tag: string,
  log: (line: string) => void,
  model?: LatencyModel,
): Promise<LambdaSet> {
  const writer = bed.aws.info.stacks.efsync?.writerFunction;
  if (!writer) throw new Error('the test bed has no efsync stack with a writer function');
  const targets = { lib: `lib-${tag}`, data: `data-${tag}` };
  const hashCache = path.join(scratch, `hash-cache-${tag}`);
  const onFunction = { engine: 'lambda', 'writer-function': writer };
  const run = async (key: LambdaKey | 'prior' | 'oneFileLaunched', inputs: Record<string, string>) => {
    const figures = await runScenario(bed, { dataset, key, targets, hashCache, model, inputs });
    const expected = key === 'oneFileLaunched' ? 'instance' : 'lambda';
    if (figures.engine !== expected) log(`${tag}: ${key} ran on ${figures.engine ?? 'nothing'}, not ${expected}`);
    return figures;
  };
  const oneFile = async (key: LambdaKey | 'oneFileLaunched', inputs: Record<string, string>) => {
    const changedFileBytes = changeOneFile(dataset);
    return { ...(await run(key, inputs)), changedFileBytes } as ScenarioFigures;
  };
  log(`${tag}: first publish on the writer function ${writer}`);
  const prior = await run('prior', onFunction);
  log(`${tag}: c-λ. one-file change on the warm function`);
  const oneFileWarm = await oneFile('oneFileWarm', onFunction);
  log(`${tag}: d-λ. dependency bump on the warm function`);
  bumpRequirements(dataset);
  const depsWarm = await run('depsWarm', onFunction);
  log(`${tag}: c-λ. one-file change on the cold function (its execution environments retired first)`);
  await makeCold(bed);
  const oneFileCold = await oneFile('oneFileCold', onFunction);
  // Modeled, a cold invocation waits the model's cold start at least: shorter, the environment was not new.
  const coldWait = (model?.lambdaColdStartMs ?? 0) / 1000;
  if ((oneFileCold.billing?.invokeSeconds ?? 0) < coldWait)
    log(
      `${tag}: the cold invocation took ${oneFileCold.billing?.invokeSeconds} s, less than a cold start (${coldWait} s)`,
    );
  log(`${tag}: c. one-file change on a launched instance (for the cost table)`);
  const oneFileLaunched = await oneFile('oneFileLaunched', {});
  return { prior, oneFileCold, oneFileWarm, depsWarm, oneFileLaunched };
}

/** The writer function's memory (MemorySize), MiB, as the test bed deployed it from the template. */
export async function writerMemoryMiB(bed: Bed): Promise<number> {
  const writer = bed.aws.info.stacks.efsync?.writerFunction;
  // The bed lists each function's configuration as GetFunctionConfiguration answers it.
  const { functions } = await bed.aws.control<{ functions: { FunctionName: string; MemorySize: number }[] }>(
    'GET',
    '/functions',
  );
  const found = functions.find((f) => f.FunctionName === writer);
  if (!found) throw new Error(`the test bed has no function ${writer}`);
  return found.MemorySize;
}
