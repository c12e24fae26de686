import type { AwsClients } from '../../aws/clients.js';
import { EfsyncError } from '../../core/errors.js';
/** A warm instance that went away between finding it and sending to it: the run launches one instead. */
export declare class InstanceVanished extends EfsyncError {
}
/**
 * How the command treats an instance that outlives the run (a warm one, or the user's own): the work directory is
 * removed when the command ends, and runs on the instance take turns (a lock on the instance, then the lock on EFS).
 * On an efsync instance it also keeps the dead-man switch (switch.ts): `lease` (hex) names this run's lease, which
 * holds the switch at least `armSeconds` from the command's start (the run's deadline) while the command runs, and is
 * removed when it ends, success or failure; `warmSeconds`, once the agent has succeeded, records warm-until that far
 * ahead (keep-warm). Whenever the command ends the switch is armed again from what is left: warm-until plus a minute,
 * or a later lease of another run still at work.
 */
export interface Staying {
    lease?: string;
    armSeconds?: number;
    warmSeconds?: number;
}
/** The command's lines. `jobUrl` is the only non-constant text besides hex (hashes, the lease) and whole numbers, and is single-quoted. */
export declare function bootstrap(jobUrl: string, jobSha256: string, staying?: Staying): string[];
export interface RemoteOutcome {
    status: string;
    responseCode: number;
    stdout: string;
    stderr: string;
}
export interface RemoteRequest {
    instanceId: string;
    runId: string;
    /**
     * Presigns the job URL the command carries, called right before each SendCommand (also before each retry), so the
     * URL need only live as long as the command takes to start (JOB_URL_SECONDS).
     */
    jobUrl: () => Promise<string>;
    jobSha256: string;
    /** For an instance that outlives the run (see Staying). */
    staying?: Staying;
    /**
     * For a warm instance found a moment ago: InvalidInstanceId for this long, or the instance no longer running,
     * means it vanished (InstanceVanished), instead of SSM not having a new instance yet.
     */
    vanishAfterMs?: number;
    executionTimeoutSeconds: number;
    onCommandId: (id: string) => void;
    log?: (line: string) => void;
    sleep?: (ms: number) => Promise<void>;
}
export declare const RUNNING: Set<string>;
/**
 * How long the job URL in the command text is valid. SendCommand's parameters stay in the account's command history,
 * readable to anyone allowed ssm:ListCommands, which returns each command's Parameters
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html, API_Command.html); "Run
 * Command stores the command history for 30 days" (Amazon EC2 User Guide, "Manage Amazon EC2 Instances Remotely",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/execute-remote-commands.html). The URL there must die long
 * before that. The bootstrap fetches the job as soon as the command is delivered (within its 60 s download deadline),
 * and a command not delivered within TimeoutSeconds never runs (Delivery Timed Out, "Understanding command statuses",
 * SSM User Guide), so 10 minutes covers every start; the URL is presigned again before each SendCommand attempt.
 */
export declare const JOB_URL_SECONDS = 600;
/**
 * The wait before status poll `poll` (from 0). SSM shows a command's end only to GetCommandInvocation, so the run
 * learns of it at the next poll: every 0.5 s for the first 10 s, where a change on a warm or borrowed instance ends,
 * then 0.25 s longer each time, up to 5 s, for long publishes. Two calls a second stay far below SSM's throttling,
 * and a throttled poll is retried by the SDK.
 */
export declare function pollDelayMs(poll: number): number;
export declare function runRemote(clients: AwsClients, request: RemoteRequest): Promise<RemoteOutcome>;
export declare function cancelCommand(clients: AwsClients, commandId: string): Promise<void>;
