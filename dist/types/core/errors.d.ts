/**
 * The base of every error efsync raises on purpose: its message is written for the user, complete, and safe to
 * print (no secret, no presigned URL). Anything else that reaches the top is an unexpected error.
 */
export declare class EfsyncError extends Error {
    constructor(message: string, options?: ErrorOptions);
}
/** The message of anything thrown, for a log line or an error of our own. */
export declare function errorMessage(error: unknown): string;
/** The error of every check made before any work is sent (remote/preflight/): one message with the fix. */
export declare class PreflightError extends EfsyncError {
}
