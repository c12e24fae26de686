/**
 * Whether the writer function imports the new dependency release before it switches to it (agent/efsync_agent/
 * imports.py): only an interpreter of the runtime and architecture the dependencies were installed for can say
 * whether they import where they will run. verify-imports `auto` checks when the function is such an interpreter,
 * `true` requires it to be one, `false` never checks.
 */
import type { DepsSource } from '../../config/types.js';
import type { TargetPlan } from '../../plan/target-plan.js';
import type { JobAction } from '../job.js';
import { RemoteError } from '../outcome.js';
import type { VerifyImportsJob } from '../protocol.js';
import type { WriterFunction } from './ready.js';

/** verify-imports true, and a function whose runtime or architecture is not the dependencies'. */
export class ImportsMismatch extends RemoteError {}

export interface ImportsDecision {
  /** The job's verifyImports: present only when the release is imported. */
  verify?: VerifyImportsJob;
  /** For the log: why it is imported, or why not. */
  why: string;
}

type ImportsSettings = Pick<DepsSource, 'pythonVersion' | 'architecture' | 'verifyImports' | 'verifyImportsSkip'>;

/** The decision for one function, from the settings and what GetFunctionConfiguration says of it. */
export function decideImports(
  deps: ImportsSettings,
  writer: Pick<WriterFunction, 'name' | 'runtime' | 'architecture'>,
): ImportsDecision {
  const setting = deps.verifyImports ?? 'auto';
  if (setting === false)
    return { why: 'verify-imports is false: the new dependency release is not imported before the switch.' };
  const runtime = `python${deps.pythonVersion}`;
  const differences = [
    ...(writer.runtime === runtime ? [] : [`its runtime is ${writer.runtime || 'not given'}, not ${runtime}`]),
    ...(writer.architecture === deps.architecture
      ? []
      : [`its architecture is ${writer.architecture}, not ${deps.architecture}`]),
  ].join(' and ');
  const fix = `WriterPythonVersion ${deps.pythonVersion} and WriterArchitecture ${deps.architecture}`;
  if (differences && setting === true)
    throw new ImportsMismatch(
      `verify-imports is true, but the writer function ${writer.name} cannot import the dependencies: ` +
        `${differences} (python-version and architecture). Update the stack with ${fix}, or write ` +
        'verify-imports: auto or false.',
    );
  if (differences)
    return {
      why:
        `The writer function ${writer.name} does not import the new dependency release before the switch: ` +
        `${differences} (verify-imports auto; a stack with ${fix} would).`,
    };
  const skip = deps.verifyImportsSkip ?? [];
  return {
    verify: { skip },
    why:
      `The writer function ${writer.name} (${writer.runtime}, ${writer.architecture}) imports each top-level module ` +
      `of the new dependency release before the switch${skip.length ? `, all but ${skip.join(', ')}` : ''}.`,
  };
}

/**
 * The job's verifyImports for a job of `plans`: asks for the function only when there is a new dependency release to
 * import, and logs the decision.
 */
export async function importsToVerify(
  config: { deps?: ImportsSettings | undefined },
  plans: Pick<TargetPlan, 'kind'>[],
  action: JobAction,
  writer: Promise<WriterFunction>,
  log: (line: string) => void,
): Promise<VerifyImportsJob | undefined> {
  const { deps } = config;
  if (!deps || deps.verifyImports === false || action !== 'sync' || !plans.some((p) => p.kind === 'pip'))
    return undefined;
  const decision = decideImports(deps, await writer);
  log(decision.why);
  return decision.verify;
}
