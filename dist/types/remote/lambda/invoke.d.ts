/**
 * One job given to the writer function (infra/efsync.yaml, Writer), and its answer read.
 *
 * Synchronously (InvocationType RequestResponse), because:
 * - Only a synchronous invocation answers the function's infrastructure failures (EFSMountFailureException,
 *   ENILimitReachedException, ResourceNotReadyException, …: the errors of Invoke in botocore's lambda model) to the
 *   caller, so that a run can say why, or move to an instance, at once. An asynchronous one (Event) is accepted with
 *   202 before the function runs; its failures go to a destination the runner never sees ("Invoking a Lambda function
 *   asynchronously", Lambda Developer Guide).
 * - Lambda retries an asynchronous event twice on a function error and keeps it up to six hours (the same page): a
 *   job could then run long after its run gave up, against a plan made hours before. A synchronous invocation runs
 *   when it is asked for, once, or not at all.
 * - It lasts at most the function's timeout, 900 s at most (Lambda quotas), inside a run's budget.
 * The SDK's socket is given the function's timeout and a minute more (`requestTimeout`; the Node handler has none by
 * default), so a connection lost silently ends the run rather than hanging it. If the SDK retries an invocation whose
 * connection broke (or Lambda delivers one twice), the function runs the job once all the same: the agent claims a
 * job on the file system before it starts and answers a second delivery `duplicate` (agent/efsync_agent/claim.py);
 * SDKs retrying long synchronous invocations is a known field problem (boto3 #883, #1104; aws-cli #2657).
 */
import { type LambdaClient } from '@aws-sdk/client-lambda';
import { EfsyncError } from '../../core/errors.js';
/** The event the function's code takes (agent/writer/index.py), version 1. */
export interface WriterEvent {
    efsync: 1;
    runId: string;
    job: {
        url: string;
        sha256: string;
    };
    agent: {
        url: string;
        sha256: string;
    };
}
/** How an invocation ended. */
export type WriterAnswer = 
/** The handler returned: the agent's result (also in result.json), or a duplicate delivery's notice. */
{
    kind: 'returned';
    payload: string;
}
/** The handler raised, or Lambda stopped it at its timeout (FunctionError "Unhandled"). */
 | {
    kind: 'raised';
    errorType: string;
    message: string;
    timedOut: boolean;
};
/** The function could not take the job (its network, its mount, its state, throttling): nothing was written. */
export declare class FunctionUnavailable extends EfsyncError {
    readonly errorName: string;
    constructor(functionName: string, errorName: string, cause: string, fix: string);
}
export declare function invokeWriter(lambda: LambdaClient, functionName: string, event: WriterEvent, timeoutSeconds: number): Promise<WriterAnswer>;
/**
 * What Lambda's Python runtime says of an unhandled error: {"errorMessage", "errorType", "stackTrace"}; a timeout is
 * errorType "Sandbox.Timedout" with "Task timed out after N seconds" ("Troubleshoot invocation issues in Lambda",
 * Lambda Developer Guide).
 */
export declare function raised(payload: string): {
    errorType: string;
    message: string;
    timedOut: boolean;
};
