// c'. and d'. on a warm instance and on a borrowed one, on one test bed (warm-figures.ts has the figures): a first
// publish with keep-warm leaves the instance warm, then a one-file change and a dependency bump reuse it; then the
// same two with instance-id on an SSM-managed instance of the user's own, launched straight at moto (as an
// administrator would, outside the action and its request log) while the first three run.
import path from 'node:path';
import { launchOwn, waitOnline } from '../../test/support/local-aws.ts';
import type { LatencyModel } from '../../testbed/latency.ts';
import { bumpRequirements, changeOneFile, type Dataset } from './dataset.ts';
import { type Bed, runScenario } from './run.ts';
import { WARM_SOURCE, type WarmKey, type WarmSet } from './warm-figures.ts';

/** Longer than a whole set takes, so the instance is still warm for the last run that reuses it. */
const KEEP_WARM_MINUTES = '30';

export async function warmSet(
  bed: Bed,
  dataset: Dataset,
  scratch: string,
  tag: string,
  log: (line: string) => void,
  model?: LatencyModel,
): Promise<WarmSet> {
  const targets = { lib: `lib-${tag}`, data: `data-${tag}` };
  const hashCache = path.join(scratch, `hash-cache-${tag}`);
  const run = (key: WarmKey | 'prior', inputs: Record<string, string>) =>
    runScenario(bed, {
      dataset,
      key,
      targets,
      hashCache,
      model,
      inputs,
      source: key === 'prior' ? 'launched' : WARM_SOURCE[key],
    });
  const warm = { 'keep-warm': KEEP_WARM_MINUTES };
  const own = await launchOwn(bed.aws, 'build-box');
  log(`${tag}: first publish with keep-warm (leaves its instance warm; ${own} boots meanwhile)`);
  const prior = await run('prior', warm);
  log(`${tag}: c'. one-file change on the warm instance`);
  let changedFileBytes = changeOneFile(dataset);
  const oneFileWarm = { ...(await run('oneFileWarm', warm)), changedFileBytes };
  log(`${tag}: d'. dependency bump on the warm instance`);
  bumpRequirements(dataset);
  const depsWarm = await run('depsWarm', warm);
  await waitOnline(bed.aws, own, 300_000);
  log(`${tag}: c'. one-file change on instance-id ${own}`);
  changedFileBytes = changeOneFile(dataset);
  const oneFileOwn = { ...(await run('oneFileOwn', { 'instance-id': own })), changedFileBytes };
  log(`${tag}: d'. dependency bump on instance-id ${own}`);
  bumpRequirements(dataset);
  const depsOwn = await run('depsOwn', { 'instance-id': own });
  return { prior, oneFileWarm, depsWarm, oneFileOwn, depsOwn };
}
