/**
 * The writer function, read and made ready to take a job ("Lambda function states", Lambda Developer Guide):
 * - Pending after it is created or updated: Lambda invokes nothing until it is Active; wait.
 * - Inactive after it sat idle long enough for Lambda to reclaim its VPC resources: "when you try to invoke a function
 *   that is inactive, the invocation fails and Lambda sets the function to pending state until the function resources
 *   are recreated". So one invocation that carries no job wakes it (it fails, as documented), then wait for Active.
 * - Failed (or any other state): it cannot run a job; its StateReason says why.
 * Waits are the SDK's waiter (GetFunctionConfiguration until Active), capped.
 */
import { type GetFunctionConfigurationCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { EfsyncError } from '../../core/errors.js';
/** Lambda recreates an inactive function's VPC resources in minutes; more than this is a failure to report. */
export declare const READY_WAIT_SECONDS = 300;
/** What the run needs to know of the function. */
export interface WriterFunction {
    name: string;
    arn: string;
    runtime: string;
    architecture: string;
    timeoutSeconds: number;
    memoryMiB: number;
    ephemeralMiB: number;
    /** The access point it mounts and where (FileSystemConfigs[0]). */
    accessPointArn: string;
    mountPath: string;
}
export declare class FunctionNotReady extends EfsyncError {
}
/** The function's configuration as Lambda has it now, whatever its state. */
export declare function readFunction(lambda: LambdaClient, name: string): Promise<GetFunctionConfigurationCommandOutput>;
/** Waits until the function `found` (readFunction's answer) can take a job, waking it when it is Inactive. */
export declare function readyFunction(lambda: LambdaClient, name: string, first: GetFunctionConfigurationCommandOutput, log: (line: string) => void, maxWaitSeconds?: number): Promise<WriterFunction>;
export declare function describeFunction(found: GetFunctionConfigurationCommandOutput): WriterFunction;
