/**
 * Runs the agent on the instance with one SSM SendCommand. The command text is a fixed bootstrap plus one short-lived
 * URL (the job) and two hashes: it fetches the job and the agent, verifies both, and runs the agent. No user value
 * is ever part of it.
 */
import { type AwsContext } from './client-config.js';
export declare class RemoteError extends Error {
    name: string;
}
/** The command's lines. `jobUrl` is the only non-constant text besides two hex hashes, and is single-quoted. */
export declare function bootstrap(jobUrl: string, jobSha256: string): string[];
export interface RemoteOutcome {
    status: string;
    responseCode: number;
    stdout: string;
    stderr: string;
}
export interface RemoteRequest {
    instanceId: string;
    runId: string;
    jobUrl: string;
    jobSha256: string;
    executionTimeoutSeconds: number;
    onCommandId: (id: string) => void;
    /** New output of the agent, in order, as it arrives. */
    onOutput: (text: string) => void;
    sleep?: (ms: number) => Promise<void>;
}
export declare function runRemote(context: AwsContext, request: RemoteRequest): Promise<RemoteOutcome>;
export declare function cancelCommand(context: AwsContext, commandId: string): Promise<void>;
