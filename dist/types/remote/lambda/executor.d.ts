import { type RunContext } from '../context.js';
import type { Executor } from '../executor.js';
import type { Preflight } from '../preflight/preflight.js';
import { type AgentResult } from '../protocol.js';
import { type WriterAnswer } from './invoke.js';
import { type WriterFunction } from './ready.js';
/** Opens the executor of the writer function `functionName`. */
export declare function openFunction(functionName: string): (ctx: RunContext, checked: Preflight) => Executor;
/**
 * The agent's result from the invocation's answer: the function's own answer comes from Lambda, not from the staging
 * bucket, so it is what counts. A duplicate delivery (the SDK retried a broken connection) answers that the first one
 * owns the job: its result is read from staging once it is there.
 */
export declare function resultOf(answer: WriterAnswer, expected: {
    runId: string;
    jobSha256: string;
}, writer: Pick<WriterFunction, 'name' | 'timeoutSeconds'>, log: string, readResult: () => Promise<string | undefined>): Promise<AgentResult>;
