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
export declare class ImportsMismatch extends RemoteError {
}
export interface ImportsDecision {
    /** The job's verifyImports: present only when the release is imported. */
    verify?: VerifyImportsJob;
    /** For the log: why it is imported, or why not. */
    why: string;
}
type ImportsSettings = Pick<DepsSource, 'pythonVersion' | 'architecture' | 'verifyImports' | 'verifyImportsSkip'>;
/** The decision for one function, from the settings and what GetFunctionConfiguration says of it. */
export declare function decideImports(deps: ImportsSettings, writer: Pick<WriterFunction, 'name' | 'runtime' | 'architecture'>): ImportsDecision;
/**
 * The job's verifyImports for a job of `plans`: asks for the function only when there is a new dependency release to
 * import, and logs the decision.
 */
export declare function importsToVerify(config: {
    deps?: ImportsSettings | undefined;
}, plans: Pick<TargetPlan, 'kind'>[], action: JobAction, writer: Promise<WriterFunction>, log: (line: string) => void): Promise<VerifyImportsJob | undefined>;
export {};
