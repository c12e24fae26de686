import { EfsyncError } from '../core/errors.js';
import type { AwsClients } from './clients.js';
export declare class RemoteError extends EfsyncError {
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
    log?: (line: string) => void;
    sleep?: (ms: number) => Promise<void>;
}
export declare function runRemote(clients: AwsClients, request: RemoteRequest): Promise<RemoteOutcome>;
export declare function cancelCommand(clients: AwsClients, commandId: string): Promise<void>;
